// Plain values for approvals tests: identities, sessions, approval rules.
import pino from 'pino';
import type { VerifiedIdentity } from '../../../src/identity/types.js';
import type { ApprovalRule } from '../../../src/policy/config/types.js';
import type { SessionInfo } from '../../../src/session/types.js';

export const silent = pino({ level: 'silent' });

export function identity(subject: string, groups: string[], extra: Partial<VerifiedIdentity> = {}): VerifiedIdentity {
  return { subject, groups, role: groups.includes('dba') ? 'dba' : 'agent', issuer: 'https://idp.test/', expiresAt: 4_000_000_000, ...extra };
}

export function session(who: VerifiedIdentity, id = 'sess-1'): SessionInfo {
  return {
    id,
    identity: who,
    client: { protocol: 'postgres', listener: 'pg', address: '127.0.0.1', port: 5000, tls: false, startupUser: who.subject, database: 'test', traceIds: {} },
    upstream: 'pg',
    startedAt: new Date(0),
  };
}

export function rule(over: Partial<ApprovalRule> = {}): ApprovalRule {
  return {
    name: 'bulk-export',
    role: 'agent',
    when: { limitAbove: 500 },
    mode: 'reject',
    approvers: ['dba'],
    approvalsNeeded: 1,
    ttlMs: 15 * 60_000,
    waitTimeoutMs: 60_000,
    ...over,
  };
}

/** A clock tests move by hand. */
export function clock(start = 1_700_000_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}
