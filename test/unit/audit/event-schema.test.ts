// rules/audit-event.schema.json is the event contract for other tools: it equals the TS source and
// the events the session pipeline emits validate against it.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import { describe, expect, it } from 'vitest';
import { auditEventSchema, renderAuditEventSchemaJson } from '../../../src/audit/event-schema.js';
import { AuditChain } from '../../../src/audit/chain.js';
import { AuditTrail } from '../../../src/audit/trail.js';
import { authFailedEvent, statementEvent, who } from '../../../src/audit/session-events.js';
import { GatewayMetrics } from '../../../src/admin/metrics.js';
import { SessionPipeline, passThroughResults } from '../../../src/session/pipeline.js';
import type { SessionInfo } from '../../../src/session/types.js';
import { MemoryTransport } from './helpers.js';
import { runStatement } from './helpers.js';

const schemaFile = fileURLToPath(new URL('../../../rules/audit-event.schema.json', import.meta.url));
const Ajv = AjvModule.default;

const session: SessionInfo = {
  id: 'ses_1',
  identity: { subject: 'alice', groups: ['nurses'], role: 'agent', issuer: 'https://idp.test/', expiresAt: 2e9, actor: { subject: 'agent-7', chain: [] } },
  client: { protocol: 'postgres', listener: 'pg', address: '127.0.0.1', port: 50000, tls: false, startupUser: 'alice', database: 'clinic', applicationName: 'psql', traceIds: { traceparent: '00-abc-def-01' } },
  upstream: 'main',
  startedAt: new Date('2026-01-01T00:00:00Z'),
};

describe('rules/audit-event.schema.json', () => {
  it('equals the schema in src/audit/event-schema.ts', () => {
    if (process.env.SQLVEIL_WRITE_SCHEMA === '1') writeFileSync(schemaFile, renderAuditEventSchemaJson());
    expect(JSON.parse(readFileSync(schemaFile, 'utf8')), 'regenerate: SQLVEIL_WRITE_SCHEMA=1 npx vitest run test/unit/audit/event-schema.test.ts').toEqual(auditEventSchema);
  });

  it('accepts what the pipeline emits; SQL literals are redacted', async () => {
    const transport = new MemoryTransport();
    const trail = new AuditTrail(transport, { chain: new AuditChain('gw-s') });
    let n = 0;
    const gate = {
      decide: () =>
        n++ === 0
          ? { action: 'allow' as const, maxRows: 10, statements: [{ kind: 'select' as const, command: 'SELECT', tablesRead: [{ schema: 'clinic', name: 'patients' }], tablesWritten: [], functions: [], flags: [] }] }
          : { action: 'deny' as const, sqlState: '42501', rule: 'block.kinds', message: 'sqlveil: drop is not allowed' },
    };
    const pipeline = new SessionPipeline(session, { gate, results: passThroughResults, audit: trail, metrics: new GatewayMetrics() });
    await runStatement(pipeline, { sql: "select * from clinic.patients where ssn = '900-11-0001' and id = 42", via: 'simple', name: '' });
    await runStatement(pipeline, { sql: 'drop table clinic.clinics', via: 'simple', name: '' });
    pipeline.rowLimitExceeded(10);
    pipeline.resultEnd(10);
    pipeline.end('client closed');
    trail.emit({ type: 'policy.reloaded', session: '-', at: '2026-01-01T00:00:00.000Z', version: 2, file: '/etc/rules.yaml' });
    trail.emit(
      statementEvent(session, 3, { sql: 'select ssn, notes from clinic.patients', via: 'prepare', name: 's1' }, { action: 'allow' }, undefined, who(session), {
        rows: 3,
        durationMs: 1.5,
        execute: true,
        masked: [{ index: 1, name: 'ssn', strategy: 'partial', rule: 'masking.ssn', via: 'origin', cells: 3 }, { index: 2, name: 'notes', strategy: 'detect', rule: 'masking.notes', via: 'lineage', cells: 1, detections: { ssn: 1 } }, { strategy: 'detect', rule: 'unknown-provenance', cells: 1 }],
        privileged: [{ index: 0, name: 'full_name', rules: ['masking.names'] }],
      }),
    );
    trail.emit(authFailedEvent({ protocol: 'postgres', address: '10.0.0.9', port: 4000, tls: true }, 'expired', 'bob'));
    await trail.close();

    const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strict: false });
    ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    const validate = ajv.compile(auditEventSchema);
    for (const e of transport.written) expect(validate(e), `${e.type}: ${JSON.stringify(validate.errors)}`).toBe(true);
    const types = transport.written.map((e) => e.type);
    expect(types).toEqual(['session.start', 'statement', 'statement', 'statement.cut', 'session.end', 'policy.reloaded', 'statement', 'auth.failed', 'audit.checkpoint']);
    const [start, allowed, denied] = transport.written;
    expect(start).toMatchObject({ identity: { subject: 'alice', role: 'agent', actor: { subject: 'agent-7' } }, client: { applicationName: 'psql', traceIds: { traceparent: '00-abc-def-01' } } });
    expect(start).not.toHaveProperty('identity.expiresAt');
    expect(allowed).toMatchObject({ sql: 'select * from clinic.patients where ssn = ? and id = ?', redacted: true, decision: 'allow', kind: ['select'], tables: ['clinic.patients'], maxRows: 10, n: 1 });
    expect(JSON.stringify(transport.written)).not.toContain('900-11-0001');
    expect(denied).toMatchObject({ decision: 'deny', rule: 'block.kinds', sqlState: '42501', sql: 'drop table clinic.clinics', n: 2 });
    expect((allowed as unknown as { fingerprint: string }).fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });
});
