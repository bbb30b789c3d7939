// Approval events on the wire (the Kafka topic): one JSON object per message, with a format
// version. A message that does not parse is skipped by the reader, never applied half-read.
import type { ApprovalEvent, Approver, NewApprovalRequest, RequestedRule } from './types.js';

export const EVENT_FORMAT = 1;
/** Kafka header naming a message as an approval store event (value: the format version). */
export const EVENT_HEADER = 'sqlveil-approval-store';

export function encodeEvent(event: ApprovalEvent): Buffer {
  return Buffer.from(JSON.stringify({ v: EVENT_FORMAT, ...event }));
}

export type Decoded = { ok: true; event: ApprovalEvent } | { ok: false; error: string };

export function decodeEvent(bytes: Buffer | string): Decoded {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  if (!isObject(raw)) return { ok: false, error: 'not an object' };
  if (raw.v !== EVENT_FORMAT) return { ok: false, error: `unknown format version ${String(raw.v)}` };
  if (!str(raw.id) || !num(raw.at)) return { ok: false, error: 'no event id or time' };
  const base = { id: raw.id, at: raw.at };
  switch (raw.type) {
    case 'requested': {
      const request = readRequest(raw.request);
      return request ? { ok: true, event: { type: 'requested', ...base, request } } : { ok: false, error: 'malformed request' };
    }
    case 'decided': {
      const approver = readApprover(raw.approver);
      if (!str(raw.request) || !approver || (raw.decision !== 'approve' && raw.decision !== 'deny') || typeof raw.reason !== 'string') {
        return { ok: false, error: 'malformed decision' };
      }
      return { ok: true, event: { type: 'decided', ...base, request: raw.request, approver, decision: raw.decision, reason: raw.reason } };
    }
    case 'used':
      if (!str(raw.request) || typeof raw.session !== 'string') return { ok: false, error: 'malformed use' };
      return { ok: true, event: { type: 'used', ...base, request: raw.request, session: raw.session } };
    default:
      return { ok: false, error: `unknown event type ${String(raw.type)}` };
  }
}

function readRequest(raw: unknown): NewApprovalRequest | undefined {
  if (!isObject(raw) || !isObject(raw.binding)) return undefined;
  const b = raw.binding;
  if (!str(raw.id) || !str(b.subject) || !str(b.role) || !str(b.rule) || typeof b.fingerprint !== 'string' || !str(b.sqlHash)) return undefined;
  if (b.actor !== undefined && !str(b.actor)) return undefined;
  const rule = readRule(raw.rule);
  if (!rule || !strings(raw.actorChain) || typeof raw.sql !== 'string' || typeof raw.session !== 'string' || !num(raw.createdAt)) return undefined;
  return {
    id: raw.id,
    binding: { subject: b.subject, ...(b.actor === undefined ? {} : { actor: b.actor }), role: b.role, rule: b.rule, fingerprint: b.fingerprint, sqlHash: b.sqlHash },
    actorChain: raw.actorChain,
    rule,
    sql: raw.sql,
    session: raw.session,
    createdAt: raw.createdAt,
  };
}

function readRule(raw: unknown): RequestedRule | undefined {
  if (!isObject(raw) || (raw.mode !== 'reject' && raw.mode !== 'wait') || !strings(raw.approvers)) return undefined;
  if (!num(raw.approvalsNeeded) || !num(raw.ttlMs) || !num(raw.waitTimeoutMs)) return undefined;
  return { mode: raw.mode, approvers: raw.approvers, approvalsNeeded: raw.approvalsNeeded, ttlMs: raw.ttlMs, waitTimeoutMs: raw.waitTimeoutMs };
}

function readApprover(raw: unknown): Approver | undefined {
  if (!isObject(raw) || !str(raw.subject) || !strings(raw.actors) || !strings(raw.groups)) return undefined;
  return { subject: raw.subject, actors: raw.actors, groups: raw.groups };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function str(v: unknown): v is string {
  return typeof v === 'string' && v !== '';
}
function num(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}
function strings(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}
