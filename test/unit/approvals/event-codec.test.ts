// Approval events as the Kafka store writes and reads them.
import { describe, expect, it } from 'vitest';
import { decodeEvent, encodeEvent } from '../../../src/approvals/event-codec.js';
import type { ApprovalEvent } from '../../../src/approvals/types.js';

const requested: ApprovalEvent = {
  type: 'requested',
  id: 'evt_1',
  at: 1_700_000_000_000,
  request: {
    id: 'req_0123456789abcdef',
    binding: { subject: 'agent-1', actor: 'bot-1', role: 'agent', rule: 'bulk-export', fingerprint: 'select * from t limit ?', sqlHash: 'ab'.repeat(32) },
    actorChain: ['orchestrator'],
    rule: { mode: 'wait', approvers: ['dba', 'security'], approvalsNeeded: 2, ttlMs: 900_000, waitTimeoutMs: 60_000 },
    sql: "select * from t where name = 'O''Brien' limit 600",
    session: 'sess-1',
    createdAt: 1_700_000_000_000,
  },
};
const decided: ApprovalEvent = {
  type: 'decided',
  id: 'evt_2',
  at: 1_700_000_001_000,
  request: 'req_0123456789abcdef',
  approver: { subject: 'dba-1', actors: [], groups: ['dba'] },
  decision: 'deny',
  reason: 'nope',
};
const used: ApprovalEvent = { type: 'used', id: 'evt_3', at: 1_700_000_002_000, request: 'req_0123456789abcdef', session: 'sess-2' };

describe('approval event codec', () => {
  for (const event of [requested, decided, used]) {
    it(`round-trips a ${event.type} event`, () => {
      const bytes = encodeEvent(event);
      expect(JSON.parse(bytes.toString()).v).toBe(1);
      expect(decodeEvent(bytes)).toEqual({ ok: true, event });
    });
  }

  it('keeps a binding without actor free of the key', () => {
    const noActor = structuredClone(requested) as Extract<ApprovalEvent, { type: 'requested' }>;
    delete noActor.request.binding.actor;
    const back = decodeEvent(encodeEvent(noActor));
    expect(back.ok && back.event.type === 'requested' && 'actor' in back.event.request.binding).toBe(false);
  });

  it('refuses what it cannot read whole', () => {
    expect(decodeEvent('not json')).toMatchObject({ ok: false });
    expect(decodeEvent(JSON.stringify({ ...decided, v: 2 }))).toMatchObject({ ok: false, error: /version/ });
    expect(decodeEvent(JSON.stringify({ ...decided, v: 1, decision: 'maybe' }))).toMatchObject({ ok: false });
    expect(decodeEvent(JSON.stringify({ ...used, v: 1, type: 'other' }))).toMatchObject({ ok: false });
    const bad = structuredClone(requested) as Extract<ApprovalEvent, { type: 'requested' }>;
    (bad.request.rule as { approvalsNeeded: unknown }).approvalsNeeded = '2';
    expect(decodeEvent(JSON.stringify({ ...bad, v: 1 }))).toMatchObject({ ok: false, error: 'malformed request' });
    expect(decodeEvent(JSON.stringify({ ...decided, v: 1, approver: { subject: 'x', groups: 'dba', actors: [] } }))).toMatchObject({ ok: false });
  });
});
