// Builders of the session events (schema in event-schema.ts): what the pipeline and the
// connection code hand to the sink. Identity and client fields are copied explicitly so nothing
// else a session object may hold (token expiry, credentials) reaches the trail by accident.
import type { VerifiedIdentity } from '../identity/types.js';
import type { StatementInfo } from '../sql/analysis.js';
import type { ClientInfo, SessionInfo, StatementDecision, StatementRequest } from '../session/types.js';
import { isoNow } from './clock.js';
import { NO_SESSION, type AuditEvent, type IdentityRecord } from './event.js';
import { auditSqlText, type SqlRedactor } from './statement-text.js';

export function identityRecord(identity: VerifiedIdentity): IdentityRecord {
  return {
    subject: identity.subject,
    groups: identity.groups,
    role: identity.role,
    issuer: identity.issuer,
    ...(identity.tokenId ? { tokenId: identity.tokenId } : {}),
    ...(identity.actor ? { actor: { subject: identity.actor.subject, chain: identity.actor.chain } } : {}),
  };
}

function clientRecord(client: Partial<ClientInfo>): Record<string, unknown> {
  return {
    protocol: client.protocol,
    listener: client.listener,
    address: client.address,
    port: client.port,
    tls: client.tls,
    startupUser: client.startupUser,
    database: client.database,
    ...(client.applicationName ? { applicationName: client.applicationName } : {}),
    traceIds: client.traceIds ?? {},
  };
}

/**
 * Who, on every event of a session (not only on session.start): a consumer of one topic, or of
 * one event, sees the subject and the actor behind it without a join.
 */
export function who(session: SessionInfo): { subject: string; role: string; actor?: string } {
  const { subject, role, actor } = session.identity;
  return actor ? { subject, role, actor: actor.subject } : { subject, role };
}

export function sessionStartEvent(session: SessionInfo): AuditEvent {
  return {
    type: 'session.start',
    session: session.id,
    at: session.startedAt.toISOString(),
    identity: identityRecord(session.identity),
    client: clientRecord(session.client),
    upstream: session.upstream,
  };
}

export function sessionEndEvent(session: SessionInfo, reason: string, statements: number, rows: number): AuditEvent {
  return { type: 'session.end', session: session.id, at: isoNow(), ...who(session), reason, statements, rows, durationMs: Date.now() - session.startedAt.getTime() };
}

export function statementCutEvent(session: SessionInfo, limit: number): AuditEvent {
  return { type: 'statement.cut', session: session.id, at: isoNow(), ...who(session), limit };
}

function tableName(t: { schema?: string; name: string }): string {
  return t.schema ? `${t.schema}.${t.name}` : t.name;
}

function analysisFields(statements: readonly StatementInfo[] | undefined): Record<string, unknown> {
  if (!statements || statements.length === 0) return {};
  const tables = new Set<string>();
  for (const s of statements) for (const t of [...s.tablesRead, ...s.tablesWritten]) tables.add(tableName(t));
  return { kind: statements.map((s) => s.kind), tables: [...tables] };
}

export function statementEvent(session: SessionInfo, n: number, req: StatementRequest, decision: StatementDecision, redact: SqlRedactor | false | undefined): AuditEvent {
  const text = auditSqlText(req.sql, session.client.protocol, redact, decision.shape);
  return {
    type: 'statement',
    session: session.id,
    at: isoNow(),
    ...who(session),
    n,
    via: req.via,
    ...(req.name ? { name: req.name } : {}),
    sql: text.sql,
    redacted: text.redacted,
    ...(text.sqlLength !== undefined ? { sqlLength: text.sqlLength } : {}),
    fingerprint: text.fingerprint,
    decision: decision.action,
    ...(decision.action === 'allow'
      ? {
          ...analysisFields(decision.statements),
          ...(decision.maxRows !== undefined ? { maxRows: decision.maxRows } : {}),
          ...(decision.observed ? { observed: decision.observed } : {}),
        }
      : { ...(decision.rule ? { rule: decision.rule } : {}), reason: decision.message, sqlState: decision.sqlState }),
  };
}

/**
 * What masking did to one result set: per masked column its strategy, rule and cell count, and
 * the columns a privileged role saw unmasked although a rule names them. Never values.
 */
export function resultMaskedEvent(session: SessionInfo, rows: number, masked: readonly unknown[], privileged: readonly unknown[]): AuditEvent {
  return { type: 'result.masked', session: session.id, at: isoNow(), ...who(session), rows, masked, ...(privileged.length > 0 ? { privileged } : {}) };
}

/** A refused login: for the connection code, which knows the client and the reason. */
export function authFailedEvent(client: Partial<ClientInfo>, reason: string, subject?: string): AuditEvent {
  return { type: 'auth.failed', session: NO_SESSION, at: isoNow(), reason, client: clientRecord(client), ...(subject ? { subject } : {}) };
}
