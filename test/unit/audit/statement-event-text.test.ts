// The cached-text statement event is the same event as the object one, member for member and in
// the same order, for every kind of run.
import { describe, expect, it } from 'vitest';
import { statementEvent, StatementEventText, who } from '../../../src/audit/session-events.js';
import type { SessionInfo, StatementContext, StatementRun } from '../../../src/session/types.js';

function session(actor?: string): SessionInfo {
  return {
    id: 'ses_1',
    identity: { subject: 'agent-1', groups: ['agents'], role: 'agent', issuer: 'https://idp/', expiresAt: 2e9, ...(actor ? { actor: { subject: actor, chain: [actor] } } : {}) },
    client: { protocol: 'postgres', listener: 'pg', address: '127.0.0.1', port: 5000, tls: false, startupUser: 'agent-1', database: 'test', traceIds: {} },
    upstream: 'pg',
    startedAt: new Date(),
  } as SessionInfo;
}

const statements = [{ kind: 'select' as const, command: 'SELECT', tablesRead: [{ schema: 'clinic', name: 'patients' }], tablesWritten: [], functions: [], flags: [] }];

const cases: { name: string; context: StatementContext; run: StatementRun; actor?: string }[] = [
  {
    name: 'a statement string',
    context: { request: { sql: "select * from clinic.patients where ssn = '900-11-0001'", via: 'simple', name: '' }, decision: { action: 'allow', statements, shape: 'select * from clinic.patients where ssn = ?' } },
    run: { rows: 3, durationMs: 1.23456 },
  },
  {
    name: 'an execution with a limit, observed rules, an error and an actor',
    context: {
      request: { sql: 'select "name" from clinic.patients where id = $1', via: 'prepare', name: 'p1' },
      decision: { action: 'allow', statements, maxRows: 100, observed: [{ rule: 'block.kinds', action: 'deny', message: 'would be refused' }] },
    },
    run: { rows: 0, durationMs: 0.5, sqlState: '22012', execute: true },
    actor: 'planner-bot',
  },
  {
    name: 'a fetch from an open cursor',
    context: { request: { sql: 'select ssn from clinic.patients where id > ?', via: 'prepare', name: '7' }, decision: { action: 'allow', statements, maxRows: 100 } },
    run: { rows: 10, durationMs: 0.2, fetch: true },
  },
  {
    name: 'a masked result and a privileged read',
    context: { request: { sql: 'select ssn, full_name from clinic.patients', via: 'simple', name: '' }, decision: { action: 'allow', statements } },
    run: { rows: 2, durationMs: 3, masked: [{ index: 0, name: 'ssn', strategy: 'partial', rule: 'ssn', via: 'origin', cells: 2 }], privileged: [{ index: 1, name: 'full_name', rules: ['names'] }] },
  },
  {
    name: 'an unanalysed statement cut off by the session end',
    context: { request: { sql: 'select pg_sleep(10) -- Ada', via: 'simple', name: '' }, decision: { action: 'allow' } },
    run: { rows: 0, durationMs: 10, interrupted: true },
  },
];

describe('StatementEventText', () => {
  it.each(cases)('matches the object event: $name', ({ context, run, actor }) => {
    const s = session(actor);
    const text = new StatementEventText(s, who(s), undefined);
    for (const n of [1, 2]) {
      const fromText = JSON.parse(`{${text.run(n, context, run)}}`) as Record<string, unknown>;
      const fromObject = JSON.parse(JSON.stringify(statementEvent(s, n, context.request, context.decision, undefined, who(s), run))) as Record<string, unknown>;
      fromText.at = fromObject.at;
      expect(JSON.stringify(fromText)).toBe(JSON.stringify(fromObject));
    }
  });

  it('says how each run came: execute, fetch, or the statement string', () => {
    const s = session();
    const text = new StatementEventText(s, who(s), undefined);
    const context = cases[2]!.context;
    const via = (run: StatementRun) => (JSON.parse(`{${text.run(1, context, run)}}`) as { via: string }).via;
    expect([via({ rows: 1, durationMs: 1, execute: true }), via({ rows: 1, durationMs: 1, fetch: true }), via({ rows: 1, durationMs: 1, execute: true })]).toEqual(['execute', 'fetch', 'execute']);
  });

  it('redacts literals, and keeps them when redaction is off (audit.redactLiterals: false)', () => {
    const s = session();
    const [first] = cases;
    const redacted = new StatementEventText(s, who(s), undefined).run(1, first!.context, first!.run);
    expect(redacted).not.toContain('900-11-0001');
    const kept = new StatementEventText(s, who(s), false).run(1, first!.context, first!.run);
    expect(kept).toContain('900-11-0001');
  });
});
