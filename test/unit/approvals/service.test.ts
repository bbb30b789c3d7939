// The approvals service as the statement gate sees it: reject mode (refuse with an id, run once
// after approval), wait mode (held until approved, denied or timed out), audit events.
import { describe, expect, it } from 'vitest';
import { MemoryAuditSink } from '../../../src/audit/sink.js';
import { ApprovalService, type ApprovalAsk } from '../../../src/approvals/service.js';
import { MemoryApprovalStore } from '../../../src/approvals/store.js';
import type { StatementDecision } from '../../../src/session/types.js';
import { clock, identity, rule, session, silent } from './helpers.js';

const SQL = 'select * from clinic.patients limit 600';

function setup() {
  const c = clock();
  const audit = new MemoryAuditSink();
  const store = new MemoryApprovalStore();
  const service = new ApprovalService({ store, audit, log: silent, now: c.now });
  return { c, audit, store, service };
}

function ask(over: Partial<ApprovalAsk> = {}): ApprovalAsk {
  return { session: session(identity('agent-1', ['agents'])), sql: SQL, fingerprint: 'fp', rule: rule(), why: 'sqlveil: this statement needs approval "bulk-export" by dba', maxRows: 1000, ...over };
}

function requestId(d: StatementDecision): string {
  expect(d.action).toBe('deny');
  const m = /approval (req_[0-9a-f]{16})/.exec(d.action === 'deny' ? d.message : '');
  expect(m).not.toBeNull();
  return m![1]!;
}

const dba = identity('dba-1', ['dba']);

describe('ApprovalService, mode reject', () => {
  it('refuses naming the request, runs the identical statement once after approval, then asks again', async () => {
    const { service, audit, c } = setup();
    const first = await service.review(ask());
    const id = requestId(first);
    expect(first).toMatchObject({ sqlState: '42501', rule: 'approvals.bulk-export' });
    expect(first.action === 'deny' && first.message).toContain(`ask an approver (dba) to run \`sqlveil approvals approve ${id}\`, then retry the identical statement`);
    // a retry before approval points at the same request
    expect(requestId(await service.review(ask()))).toBe(id);

    expect(await service.decide(id, dba, 'approve', 'ok for the report')).toMatchObject({ ok: true });
    c.advance(1000);
    expect(await service.review(ask())).toEqual({ action: 'allow', maxRows: 1000 });
    const again = await service.review(ask());
    expect(requestId(again)).not.toBe(id);

    expect(audit.events.map((e) => e.type)).toEqual(['approval.requested', 'approval.decided', 'approval.used', 'approval.requested']);
    expect(audit.events[0]).toMatchObject({ request: id, rule: 'approvals.bulk-export', subject: 'agent-1', mode: 'reject', session: 'sess-1' });
    expect(audit.events[1]).toMatchObject({ request: id, decision: 'approve', approver: 'dba-1', reason: 'ok for the report', status: 'approved' });
    expect(JSON.stringify(audit.events)).not.toContain(SQL); // the statement event carries the SQL, approval events its hash
  });

  it('a different literal, another identity or another actor needs its own approval', async () => {
    const { service } = setup();
    const id = requestId(await service.review(ask()));
    await service.decide(id, dba, 'approve', '');
    expect(requestId(await service.review(ask({ sql: SQL.replace('600', '700') })))).not.toBe(id);
    expect(requestId(await service.review(ask({ session: session(identity('agent-2', ['agents'])) })))).not.toBe(id);
    const viaBot = identity('agent-1', ['agents'], { actor: { subject: 'bot-1', chain: [] } });
    expect(requestId(await service.review(ask({ session: session(viaBot) })))).not.toBe(id);
    expect(await service.review(ask())).toMatchObject({ action: 'allow' });
  });

  it('an expired grant refuses again with a new request', async () => {
    const { service, c } = setup();
    const id = requestId(await service.review(ask()));
    await service.decide(id, dba, 'approve', '');
    c.advance(15 * 60_000);
    const next = requestId(await service.review(ask()));
    expect(next).not.toBe(id);
  });

  it('an expired pending request is replaced by a new one', async () => {
    const { service, c } = setup();
    const id = requestId(await service.review(ask()));
    c.advance(15 * 60_000 + 1);
    expect(requestId(await service.review(ask()))).not.toBe(id);
    expect(await service.decide(id, dba, 'approve', '')).toMatchObject({ ok: false, code: 'expired' });
  });

  it('tells the client a denial and its reason, for the rule ttl', async () => {
    const { service, c } = setup();
    const id = requestId(await service.review(ask()));
    expect(await service.decide(id, dba, 'deny', 'use LIMIT 500 and page')).toMatchObject({ ok: true });
    const d = await service.review(ask());
    expect(d).toMatchObject({ action: 'deny', message: `sqlveil: approval ${id} was denied by dba-1: use LIMIT 500 and page` });
    c.advance(15 * 60_000);
    expect(requestId(await service.review(ask()))).not.toBe(id);
  });

  it('refuses self-approval and approvers outside the rule groups', async () => {
    const { service } = setup();
    const requester = identity('alice', ['agents', 'dba']);
    const id = requestId(await service.review(ask({ session: session(requester) })));
    expect(await service.decide(id, requester, 'approve', '')).toMatchObject({ ok: false, code: 'self-approval' });
    expect(await service.decide(id, identity('eve', ['security']), 'approve', '')).toMatchObject({ ok: false, code: 'not-approver' });
    expect(await service.decide('req_0000000000000000', dba, 'approve', '')).toMatchObject({ ok: false, code: 'not-found' });
  });

  it('fails closed when the store cannot record', async () => {
    const { store, audit } = setup();
    store.append = () => Promise.reject(new Error('broker down'));
    const service = new ApprovalService({ store, audit, log: silent });
    expect(await service.review(ask())).toMatchObject({ action: 'deny', sqlState: '58000', message: expect.stringMatching(/approval store is unavailable/) });
  });
});

describe('ApprovalService, mode wait', () => {
  const waiting = rule({ mode: 'wait', waitTimeoutMs: 200 });

  it('holds the statement until it is approved, then runs it', async () => {
    const { service, store } = setup();
    const held = service.review(ask({ rule: waiting }));
    const [r] = store.list();
    expect(r?.rule.mode).toBe('wait');
    await service.decide(r!.id, dba, 'approve', '');
    expect(await held).toEqual({ action: 'allow', maxRows: 1000 });
    expect(store.get(r!.id)?.state).toBe('used');
  });

  it('needs every approval before it releases the statement', async () => {
    const { service, store } = setup();
    let settled = false;
    const held = service.review(ask({ rule: rule({ mode: 'wait', waitTimeoutMs: 1000, approvalsNeeded: 2, approvers: ['dba', 'security'] }) }));
    void held.then(() => (settled = true));
    const id = store.list()[0]!.id;
    await service.decide(id, dba, 'approve', '');
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    await service.decide(id, identity('sec-1', ['security']), 'approve', '');
    expect(await held).toMatchObject({ action: 'allow' });
  });

  it('answers a denial with its reason', async () => {
    const { service, store } = setup();
    const held = service.review(ask({ rule: waiting }));
    await service.decide(store.list()[0]!.id, dba, 'deny', 'not during business hours');
    expect(await held).toMatchObject({ action: 'deny', message: expect.stringMatching(/denied by dba-1: not during business hours/) });
  });

  it('two held copies of one statement: one runs, the other is held on a new request', async () => {
    const { service, store } = setup();
    const a = service.review(ask({ rule: waiting }));
    const b = service.review(ask({ rule: waiting, session: session(identity('agent-1', ['agents']), 'sess-2') }));
    const id = store.list()[0]!.id;
    expect(store.list()).toHaveLength(1);
    await service.decide(id, dba, 'approve', '');
    const results = await Promise.all([a, b]);
    expect(results.filter((d) => d.action === 'allow')).toHaveLength(1);
    const other = results.find((d) => d.action === 'deny')!;
    expect(requestId(other)).not.toBe(id); // held again on a new request, which timed out
  });

  it('releases held statements when the gateway stops', async () => {
    const { service, store } = setup();
    const held = service.review(ask({ rule: rule({ mode: 'wait', waitTimeoutMs: 60_000 }) }));
    await new Promise((r) => setTimeout(r, 10));
    service.close();
    expect(await held).toMatchObject({ action: 'deny', sqlState: '57P01', message: expect.stringMatching(/shutting down/) });
    expect(store.list()[0]!.state).toBe('pending');
  });

  it('times out with the request id; approving it later lets a retry run', async () => {
    const { service, store } = setup();
    const d = await service.review(ask({ rule: waiting }));
    expect(d).toMatchObject({ action: 'deny', sqlState: '57014' });
    const id = requestId(d);
    expect(d.action === 'deny' && d.hint).toContain(`sqlveil approvals approve ${id}`);
    expect(store.get(id)?.state).toBe('pending');
    await service.decide(id, dba, 'approve', '');
    expect(await service.review(ask({ rule: waiting }))).toMatchObject({ action: 'allow' });
  });
});
