// What an approval request is bound to. The literal hash is sha256 of the exact SQL text: the
// identical statement (same literals, same text) matches, anything else needs its own approval.
// Hashing the text rather than the parsed literals is deliberately strict: changing whitespace or
// a comment also needs a new approval, which is safe and simple to explain.
import { createHash, randomBytes } from 'node:crypto';
import type { ApprovalRule } from '../policy/config/types.js';
import type { VerifiedIdentity } from '../identity/types.js';
import type { ApprovalBinding, RequestedRule } from './types.js';

export function sqlHash(sql: string): string {
  return createHash('sha256').update(sql, 'utf8').digest('hex');
}

export function bindingOf(identity: VerifiedIdentity, rule: ApprovalRule, fingerprint: string, sql: string): ApprovalBinding {
  return {
    subject: identity.subject,
    ...(identity.actor ? { actor: identity.actor.subject } : {}),
    role: rule.role,
    rule: rule.name,
    fingerprint,
    sqlHash: sqlHash(sql),
  };
}

export function requestedRule(rule: ApprovalRule): RequestedRule {
  return { mode: rule.mode, approvers: [...rule.approvers], approvalsNeeded: rule.approvalsNeeded, ttlMs: rule.ttlMs, waitTimeoutMs: rule.waitTimeoutMs };
}

/** `req_` and 16 hex digits: short enough to type, random enough never to collide or be guessed. */
export function newRequestId(): string {
  return `req_${randomBytes(8).toString('hex')}`;
}

export function newEventId(): string {
  return `evt_${randomBytes(12).toString('hex')}`;
}
