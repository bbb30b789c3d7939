// The approval ledger: requests bound to identity + statement, expiry, one use per grant,
// self-approval, approver groups and distinct approvers, all judged at each event's own time.
import { describe, expect, it } from 'vitest';
import { ApprovalLedger } from '../../../src/approvals/ledger.js';
import { bindingOf, requestedRule } from '../../../src/approvals/binding.js';
import { statusAt, type Approver, type ApprovalEvent, type NewApprovalRequest } from '../../../src/approvals/types.js';
import { identity, rule } from './helpers.js';

const T0 = 1_700_000_000_000;
const SQL = 'select * from clinic.patients limit 600';
let n = 0;
const eid = () => `evt_${++n}`;

function request(over: Partial<NewApprovalRequest> = {}, r = rule()): NewApprovalRequest {
  return {
    id: 'req_1',
    binding: bindingOf(identity('agent-1', ['agents']), r, 'select * from clinic.patients limit ?', SQL),
    actorChain: [],
    rule: requestedRule(r),
    sql: SQL,
    session: 'sess-1',
    createdAt: T0,
    ...over,
  };
}

function approver(subject: string, groups = ['dba'], actors: string[] = []): Approver {
  return { subject, groups, actors };
}

function decided(approverIs: Approver, at = T0 + 1000, decision: 'approve' | 'deny' = 'approve', req = 'req_1'): ApprovalEvent {
  return { type: 'decided', id: eid(), at, request: req, approver: approverIs, decision, reason: decision === 'deny' ? 'too many rows' : '' };
}

function requested(over: Partial<NewApprovalRequest> = {}, r = rule()): ApprovalEvent {
  return { type: 'requested', id: eid(), at: over.createdAt ?? T0, request: request(over, r) };
}

describe('ApprovalLedger', () => {
  it('binds a request to subject, actor, role, rule, fingerprint and the exact SQL text', () => {
    const l = new ApprovalLedger();
    l.apply(requested());
    const b = request().binding;
    expect(l.latest(b, T0, ['pending'])?.id).toBe('req_1');
    expect(l.latest({ ...b, subject: 'agent-2' }, T0, ['pending'])).toBeUndefined();
    expect(l.latest({ ...b, actor: 'bot-7' }, T0, ['pending'])).toBeUndefined();
    expect(l.latest({ ...b, rule: 'other' }, T0, ['pending'])).toBeUndefined();
    const otherLiteral = bindingOf(identity('agent-1', ['agents']), rule(), b.fingerprint, SQL.replace('600', '601'));
    expect(otherLiteral.fingerprint).toBe(b.fingerprint);
    expect(otherLiteral.sqlHash).not.toBe(b.sqlHash);
    expect(l.latest(otherLiteral, T0, ['pending'])).toBeUndefined();
  });

  it('approves with one approver in the rule group, then allows exactly one use', () => {
    const l = new ApprovalLedger();
    l.apply(requested());
    expect(l.apply(decided(approver('dba-1'), T0 + 5000))).toEqual({ ok: true });
    const r = l.get('req_1')!;
    expect(statusAt(r, T0 + 5000)).toBe('approved');
    expect(r.expiresAt).toBe(T0 + 5000 + 15 * 60_000); // the grant lives ttl from approval
    expect(l.apply({ type: 'used', id: eid(), at: T0 + 6000, request: 'req_1', session: 's2' })).toEqual({ ok: true });
    expect(l.apply({ type: 'used', id: eid(), at: T0 + 7000, request: 'req_1', session: 's3' })).toMatchObject({ ok: false, code: 'not-pending' });
    expect(l.get('req_1')).toMatchObject({ state: 'used', usedBy: 's2' });
  });

  it('applies a redelivered event once', () => {
    const l = new ApprovalLedger();
    l.apply(requested());
    const use: ApprovalEvent = { type: 'used', id: 'evt_same', at: T0 + 2000, request: 'req_1', session: 's' };
    l.apply(decided(approver('dba-1')));
    expect(l.apply(use)).toEqual({ ok: true });
    expect(l.apply(use)).toEqual({ ok: true }); // the same event again: same outcome, no second use
    expect(l.get('req_1')!.state).toBe('used');
  });

  it('lets pending requests and unused grants expire', () => {
    const l = new ApprovalLedger();
    l.apply(requested());
    const ttl = 15 * 60_000;
    expect(statusAt(l.get('req_1')!, T0 + ttl - 1)).toBe('pending');
    expect(statusAt(l.get('req_1')!, T0 + ttl)).toBe('expired');
    expect(l.apply(decided(approver('dba-1'), T0 + ttl))).toMatchObject({ ok: false, code: 'expired' });

    l.apply(requested({ id: 'req_2' }));
    l.apply(decided(approver('dba-1'), T0 + 1000, 'approve', 'req_2'));
    expect(l.apply({ type: 'used', id: eid(), at: T0 + 1000 + ttl, request: 'req_2', session: 's' })).toMatchObject({ ok: false, code: 'expired' });
  });

  it('keeps a wait-mode request open at least as long as the statement is held', () => {
    const l = new ApprovalLedger();
    l.apply(requested({}, rule({ mode: 'wait', ttlMs: 1000, waitTimeoutMs: 5000 })));
    expect(l.get('req_1')!.expiresAt).toBe(T0 + 5000);
  });

  it('refuses self-approval: the same subject, or the actor of the request', () => {
    const l = new ApprovalLedger();
    const agent = identity('alice', ['agents', 'dba'], { actor: { subject: 'bot-1', chain: ['orchestrator'] } });
    l.apply({ type: 'requested', id: eid(), at: T0, request: { ...request(), binding: bindingOf(agent, rule(), 'fp', SQL), actorChain: ['orchestrator'] } });
    expect(l.apply(decided(approver('alice')))).toMatchObject({ ok: false, code: 'self-approval' });
    expect(l.apply(decided(approver('bot-1')))).toMatchObject({ ok: false, code: 'self-approval' });
    expect(l.apply(decided(approver('orchestrator')))).toMatchObject({ ok: false, code: 'self-approval' });
    // an approver acting through the requesting agent is the agent approving itself
    expect(l.apply(decided(approver('dba-9', ['dba'], ['bot-1'])))).toMatchObject({ ok: false, code: 'self-approval' });
    expect(statusAt(l.get('req_1')!, T0 + 2000)).toBe('pending');
    expect(l.apply(decided(approver('dba-1')))).toEqual({ ok: true });
  });

  it('refuses approvers outside the rule groups', () => {
    const l = new ApprovalLedger();
    l.apply(requested());
    expect(l.apply(decided(approver('eve', ['agents', 'security'])))).toMatchObject({ ok: false, code: 'not-approver', message: expect.stringMatching(/dba/) });
    expect(statusAt(l.get('req_1')!, T0 + 2000)).toBe('pending');
  });

  it('needs N distinct approvers when the rule says so', () => {
    const l = new ApprovalLedger();
    l.apply(requested({}, rule({ approvalsNeeded: 2, approvers: ['dba', 'security'] })));
    expect(l.apply(decided(approver('dba-1')))).toEqual({ ok: true });
    expect(statusAt(l.get('req_1')!, T0 + 1500)).toBe('pending');
    expect(l.apply(decided(approver('dba-1'), T0 + 1600))).toMatchObject({ ok: false, code: 'already-voted' });
    expect(l.apply(decided(approver('sec-1', ['security']), T0 + 2000))).toEqual({ ok: true });
    expect(statusAt(l.get('req_1')!, T0 + 2000)).toBe('approved');
    expect(l.get('req_1')!.votes.map((v) => v.approver)).toEqual(['dba-1', 'sec-1']);
  });

  it('a denial ends the request; later decisions conflict', () => {
    const l = new ApprovalLedger();
    l.apply(requested());
    expect(l.apply(decided(approver('dba-1'), T0 + 1000, 'deny'))).toEqual({ ok: true });
    expect(l.get('req_1')).toMatchObject({ state: 'denied', votes: [{ approver: 'dba-1', decision: 'deny', reason: 'too many rows' }] });
    expect(l.apply(decided(approver('dba-2'), T0 + 2000))).toMatchObject({ ok: false, code: 'not-pending' });
  });

  it('answers not-found for unknown requests', () => {
    const l = new ApprovalLedger();
    expect(l.apply(decided(approver('dba-1'), T0, 'approve', 'req_nope'))).toMatchObject({ ok: false, code: 'not-found' });
  });

  it('drops finished requests an hour after they end', () => {
    const l = new ApprovalLedger();
    l.apply(requested());
    l.apply(decided(approver('dba-1'), T0 + 1000, 'deny'));
    l.apply(requested({ id: 'req_2', createdAt: T0 + 30 * 60_000 }));
    expect(l.get('req_1')).toBeDefined();
    l.apply(requested({ id: 'req_3', createdAt: T0 + 15 * 60_000 + 61 * 60_000 }));
    expect(l.get('req_1')).toBeUndefined();
    expect(l.list().map((r) => r.id)).toEqual(['req_3', 'req_2']);
  });
});
