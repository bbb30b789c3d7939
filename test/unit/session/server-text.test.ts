// Section 3b and the session channels of MySQL, as pure decisions: which runs make server texts
// withheld, which statements are refused (variables, HANDLER), the SHOW WARNINGS rewrite, the
// fixed texts, and the PostgreSQL ErrorResponse rewrite that keeps the SQLSTATE.
import { describe, expect, it } from 'vitest';
import { MemoryAuditSink } from '../../../src/audit/sink.js';
import { GatewayMetrics } from '../../../src/admin/metrics.js';
import { ResultMasking, sessionChannelRefusal } from '../../../src/session/result-masking.js';
import { SessionPipeline, allowAllGate } from '../../../src/session/pipeline.js';
import { withheldServerText } from '../../../src/session/server-text.js';
import { withholdErrorNotice } from '../../../protocols/postgres/errors.js';
import { readErrorFields } from '../../../protocols/postgres/backend-messages.js';
import { MessageWriter } from '../../../protocols/postgres/writer.js';
import type { MaskingConfig } from '../../../src/policy/config/types.js';
import type { StatementInfo } from '../../../src/sql/analysis.js';
import type { ResultColumn, SessionInfo, StatementContext } from '../../../src/session/types.js';

const masking: MaskingConfig = {
  onUnknownLineage: 'refuse',
  hashKey: { source: 'value', key: Buffer.from('0123456789abcdef0123456789abcdef') },
  detectors: { builtin: ['ssn'], patterns: [], dictionaries: [] },
  rules: [{ name: 'ssn', columns: ['clinic.patients.ssn'], except: ['dba'], strategy: { kind: 'redact', text: '***' } }],
};

const sessionOf = (role: string): SessionInfo => ({
  id: 'ses_t',
  identity: { subject: `${role}-1`, groups: [role], role, issuer: 'https://idp.test/', expiresAt: Date.now() / 1000 + 600 } as SessionInfo['identity'],
  client: { protocol: 'mysql', listener: 'my', address: '127.0.0.1', port: 1, tls: false, startupUser: 'x', database: 'clinic', traceIds: {} },
  upstream: 'my',
  startedAt: new Date(),
});

const info = (extra: Partial<StatementInfo>): StatementInfo => ({ kind: 'select', command: 'SELECT', tablesRead: [], tablesWritten: [], functions: [], flags: [], ...extra });
const patients = { schema: 'clinic', name: 'patients' };
const clinics = { schema: 'clinic', name: 'clinics' };
const results = new ResultMasking({ masking: () => masking, catalog: () => undefined });
const agent = sessionOf('agent');
const dba = sessionOf('dba');

describe('which runs withhold server texts', () => {
  it('a protected table read, SQL the analysis cannot see, or unknown statements; never for a role no rule restricts', () => {
    expect(results.readsProtected(agent, [info({ tablesRead: [patients] })])).toBe(true);
    expect(results.readsProtected(agent, [info({ tablesRead: [{ name: 'patients' }] })])).toBe(true); // schema unresolved: any schema
    expect(results.readsProtected(agent, [info({ tablesRead: [clinics] })])).toBe(false);
    expect(results.readsProtected(agent, [info({ kind: 'session', command: 'EXECUTE', flags: ['dynamic-sql'] })])).toBe(true);
    expect(results.readsProtected(agent, [info({ kind: 'procedural', command: 'CALL' })])).toBe(true);
    expect(results.readsProtected(agent, undefined)).toBe(true);
    expect(results.readsProtected(dba, [info({ tablesRead: [patients] })])).toBe(false);
  });

  it('the pipeline withholds for an unknown request and after protected reads, masks by content otherwise', () => {
    const pipeline = new SessionPipeline(agent, { gate: allowAllGate, results, audit: new MemoryAuditSink(), metrics: new GatewayMetrics() });
    const ctx = (statements: StatementInfo[]): StatementContext => ({ request: { sql: 'x', via: 'simple', name: '' }, decision: { action: 'allow', statements } });
    expect(pipeline.serverText(undefined)).toEqual({ withhold: true });
    expect(pipeline.serverText(ctx([info({ tablesRead: [patients] })]))).toEqual({ withhold: true });
    const policy = pipeline.serverText(ctx([info({ tablesRead: [clinics] })]));
    expect(policy?.withhold).toBe(false);
    expect(policy && !policy.withhold && policy.mask('call 900-11-0001')).not.toContain('900-11-0001');
    const privileged = new SessionPipeline(dba, { gate: allowAllGate, results, audit: new MemoryAuditSink(), metrics: new GatewayMetrics() });
    expect(privileged.serverText(undefined)).toBeUndefined();
  });

  it('SHOW WARNINGS after a protected read: its Message column becomes the fixed text', () => {
    const columns: ResultColumn[] = ['Level', 'Code', 'Message'].map((name) => ({ name, origin: undefined, typeId: 253, format: 'text' }));
    expect(results.withheldDiagnostics(columns, info({ kind: 'session', command: 'SHOW TABLES' }))).toBeUndefined();
    const t = results.withheldDiagnostics(columns, info({ kind: 'session', command: 'SHOW WARNINGS' }))!;
    expect(t.columns).toEqual([2]);
    const v = Buffer.from("Truncated incorrect DOUBLE value: '3930302D'");
    expect(t.apply(2, v, 0, v.length)!.toString()).toMatch(/was withheld because the statement read protected columns/);
    expect(t.maskedCounts()).toEqual([{ strategy: 'detect', rule: 'withheld-server-text', cells: 1 }]);
  });

  it('a result the gateway cannot bind is refused to a role subject to masking only', () => {
    const parts = { gate: allowAllGate, results, audit: new MemoryAuditSink(), metrics: new GatewayMetrics() };
    expect(new SessionPipeline(agent, parts).unattributedResult()).toMatchObject({ action: 'deny', rule: 'masking.resultAttribution' });
    expect(new SessionPipeline(dba, parts).unattributedResult()).toBeUndefined();
  });
});

describe('session channels refused to roles subject to masking', () => {
  const protects = (t: { schema?: string; name: string }) => t.name === 'patients';
  it('variable assignment in a statement reading a protected table, and any HANDLER', () => {
    expect(sessionChannelRefusal(info({ flags: ['variable-assignment'], tablesRead: [patients] }), 'agent', protects)).toMatchObject({ rule: 'masking.variables', sqlState: '42501' });
    expect(sessionChannelRefusal(info({ flags: ['variable-assignment'], tablesRead: [clinics] }), 'agent', protects)).toBeUndefined();
    expect(sessionChannelRefusal(info({ flags: ['variable-read'], tablesRead: [patients] }), 'agent', protects)).toBeUndefined();
    expect(sessionChannelRefusal(info({ kind: 'session', command: 'HANDLER OPEN', flags: ['handler'], tablesRead: [clinics] }), 'agent', protects)).toMatchObject({ rule: 'masking.handler' });
  });

  it('through admit, for agent only; reading a user variable is of unknown lineage', () => {
    const assign = [info({ flags: ['variable-assignment'], tablesRead: [patients] })];
    expect(results.admit(agent, assign)).toMatchObject({ rule: 'masking.variables' });
    expect(results.admit(dba, assign)).toBeUndefined();
    const read = info({ flags: ['variable-read'], columns: [{ name: '@s', sources: [], opaque: true }] });
    const columns: ResultColumn[] = [{ name: '@s', origin: undefined, typeId: 253, format: 'text' }];
    expect(results.transformFor(agent, columns, read)).toMatchObject({ action: 'deny', rule: 'masking.onUnknownLineage' });
    const execute = info({ kind: 'session', command: 'EXECUTE', flags: ['dynamic-sql'], columns: [{ name: '*', sources: [], opaque: true }] });
    expect(results.transformFor(agent, columns, execute)).toMatchObject({ action: 'deny' });
    expect(results.transformFor(dba, columns, read)).toBeUndefined();
  });
});

describe('withheld texts', () => {
  it('name the code and why', () => {
    expect(withheldServerText('SQLSTATE 22P02')).toMatch(/\(SQLSTATE 22P02\) was withheld because the statement read protected columns/);
  });

  it('PostgreSQL: M replaced, D H W q dropped, SQLSTATE, severity and names kept', () => {
    const w = new MessageWriter(256).begin(0x45);
    for (const [t, v] of [['S', 'ERROR'], ['V', 'ERROR'], ['C', '22P02'], ['M', 'invalid input syntax for type integer: "1000-11-009"'], ['D', 'Token "x" is invalid.'], ['H', 'h'], ['W', 'JSON data, line 1: 1000'], ['q', 'select 1000'], ['t', 'patients']] as const) w.int8(t.charCodeAt(0)).cstring(v);
    const frame = w.int8(0).end().take();
    const out = withholdErrorNotice(frame, 5, frame.length, (code) => withheldServerText(`SQLSTATE ${code}`));
    const fields = readErrorFields(out, 5, out.length);
    expect([...fields.keys()]).toEqual(['S', 'V', 'C', 'M', 't']);
    expect(fields.get('C')).toBe('22P02');
    expect(fields.get('M')).toMatch(/SQLSTATE 22P02/);
    expect(out.toString('latin1')).not.toContain('1000');
    expect(out[0]).toBe(0x45);
    expect(out.readInt32BE(1)).toBe(out.length - 1);
  });
});
