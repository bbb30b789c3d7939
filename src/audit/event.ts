// The audit event vocabulary, version 2 (version 1 hashed a canonical re-encoding; see docs/audit.md). Sinks take an AuditEvent (type, session, time and the
// type's fields); the chain adds the envelope (v, instance, seq, prevHash, hash). The JSON Schema
// in event-schema.ts (shipped as rules/audit-event.schema.json) says the same for other tools.

export const AUDIT_EVENT_VERSION = 2;
/** Versions `audit verify` reads: 1 (hash over canonical JSON) and 2 (hash over the stored bytes). */
export type AuditEventVersion = 1 | 2;
/** prevHash of an instance's first event. */
export const GENESIS_HASH = '0'.repeat(64);
/** Session id of events that belong to no client session (policy reloads, checkpoints). */
export const NO_SESSION = '-';

export type AuditEventType =
  | 'session.start'
  | 'session.end'
  | 'statement'
  | 'statement.cut'
  | 'result.masked' // version 1 only: since version 2 a run's statement event carries `masked`
  | 'approval.requested'
  | 'approval.decided'
  | 'approval.used'
  | 'policy.reloaded'
  | 'policy.rejected'
  | 'auth.failed'
  | 'audit.checkpoint';

/** What a sink is given: one event before the chain stamps it. */
export interface AuditEvent {
  type: string;
  session: string;
  at: string;
  [key: string]: unknown;
}

export interface ChainFields {
  v: AuditEventVersion;
  instance: string;
  seq: number;
  prevHash: string;
  hash: string;
}

export type ChainedEvent = AuditEvent & ChainFields;

/** The signed statement about an instance's chain head; not itself part of the chain. */
export interface CheckpointEvent {
  v: AuditEventVersion;
  type: 'audit.checkpoint';
  session: typeof NO_SESSION;
  at: string;
  instance: string;
  /** seq of the head event (-1: no event yet). */
  seq: number;
  head: string;
  /** Written at shutdown: the instance emits nothing after it. */
  final: boolean;
  /** Compact JWS (EdDSA) over the canonical {instance, seq, head, time}; null when no key is configured. */
  jws: string | null;
}

export type StoredEvent = ChainedEvent | CheckpointEvent;

export interface IdentityRecord {
  subject: string;
  groups: string[];
  role: string;
  issuer?: string;
  tokenId?: string;
  /** The party acting for the subject (RFC 8693 `act`), with earlier actors outermost first. */
  actor?: { subject: string; chain: string[] };
}

export interface MaskedColumn {
  column: string;
  strategy: string;
  cells: number;
}

export type Decision = 'allow' | 'deny' | 'approve';

/** Fields of a `statement` event; only what the pipeline knows at that point is present. */
export interface StatementFields {
  via: 'simple' | 'prepare' | 'function-call';
  /** SQL text, literals replaced by `?` unless the rules file says otherwise. */
  sql: string;
  redacted: boolean;
  fingerprint?: string;
  /** Statement number within the session, from 1. */
  n?: number;
  name?: string;
  kind?: string[];
  tables?: string[];
  decision: Decision;
  rule?: string;
  reason?: string;
  approvalId?: string;
  /** Parameters of an extended-protocol execution: redacted, only their count and types are kept. */
  parameters?: { count: number; redacted: true };
  rows?: number;
  masked?: MaskedColumn[];
  durationMs?: number;
  sqlState?: string;
  errorCode?: number;
}

export function isCheckpoint(event: { type?: unknown }): event is CheckpointEvent {
  return event.type === 'audit.checkpoint';
}
