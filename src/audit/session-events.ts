// Builders of the session events (schema in event-schema.ts): what the pipeline and the
// connection code hand to the sink. Identity and client fields are copied explicitly so nothing
// else a session object may hold (token expiry, credentials) reaches the trail by accident.
import type { VerifiedIdentity } from '../identity/types.js';
import type { WireProtocol } from '../policy/config/types.js';
import type { StatementInfo } from '../sql/analysis.js';
import type { ClientInfo, SessionInfo, StatementContext, StatementDecision, StatementRequest, StatementRun } from '../session/types.js';
import { isoNow } from './clock.js';
import { NO_SESSION, type AuditEvent, type IdentityRecord } from './event.js';
import { auditSqlText, type AuditSqlText, type SqlRedactor } from './statement-text.js';

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

interface AnalysisFields {
  kind: string[];
  tables: string[];
}

/** By analysed statements: a repeated statement shape gets the same StatementInfo objects, so this is built once per shape. */
const analysisFieldsCache = new WeakMap<readonly StatementInfo[], AnalysisFields>();

function analysisFields(statements: readonly StatementInfo[] | undefined): AnalysisFields | undefined {
  if (!statements || statements.length === 0) return undefined;
  let fields = analysisFieldsCache.get(statements);
  if (fields === undefined) {
    const tables = new Set<string>();
    for (const s of statements) for (const t of [...s.tablesRead, ...s.tablesWritten]) tables.add(tableName(t));
    fields = { kind: statements.map((s) => s.kind), tables: [...tables] };
    analysisFieldsCache.set(statements, fields);
  }
  return fields;
}

/** What the event's `via` says of a run. */
type RunVia = 'execute' | 'fetch' | undefined;

/**
 * The members of a statement event that say what the statement was and what was decided, in
 * event order (`via` to `observed`); absent ones are `undefined`, which JSON leaves out.
 */
function statementMembers(text: AuditSqlText, req: StatementRequest, decision: StatementDecision, runVia: RunVia) {
  const allowed = decision.action === 'allow' ? decision : undefined;
  const analysed = analysisFields(decision.statements);
  return {
    via: runVia ?? req.via,
    name: req.name || undefined,
    sql: text.sql,
    redacted: text.redacted,
    sqlLength: text.sqlLength,
    fingerprint: text.fingerprint,
    decision: decision.action,
    kind: analysed?.kind,
    tables: analysed?.tables,
    maxRows: allowed?.maxRows,
    observed: allowed?.observed,
  };
}

function sqlTextOf(protocol: WireProtocol, req: StatementRequest, decision: StatementDecision, redact: SqlRedactor | false | undefined): AuditSqlText {
  return auditSqlText(req.sql, protocol, redact, decision.shape);
}

/** The JSON of statementMembers, last made for a decision: repeats of a shape mostly redact to the same text. */
interface MembersText {
  text: AuditSqlText;
  via: string;
  name: string;
  json: string;
}

/** By decision: the gate hands every repeat of a statement shape the same decision object. */
const membersTextCache = new WeakMap<StatementDecision, MembersText>();

/** `,` and the JSON members of statementMembers, reusing the last text made for the same decision when it is the same. */
function membersJson(protocol: WireProtocol, req: StatementRequest, decision: StatementDecision, redact: SqlRedactor | false | undefined, runVia: RunVia): string {
  const text = sqlTextOf(protocol, req, decision, redact);
  const via = runVia ?? req.via;
  const last = membersTextCache.get(decision);
  if (
    last !== undefined &&
    last.text.sql === text.sql &&
    last.text.redacted === text.redacted &&
    last.text.sqlLength === text.sqlLength &&
    last.text.fingerprint === text.fingerprint &&
    last.via === via &&
    last.name === req.name
  ) {
    return last.json;
  }
  const json = `,${JSON.stringify(statementMembers(text, req, decision, runVia)).slice(1, -1)}`;
  membersTextCache.set(decision, { text, via, name: req.name, json });
  return json;
}

/**
 * One statement: a refusal when it is decided, a run when it ends (with rows, duration and the
 * error's SQLSTATE). The pipeline writes runs through StatementEventText when the sink takes
 * JSON members; this object form serves refusals and other sinks.
 */
export function statementEvent(
  session: SessionInfo,
  n: number,
  req: StatementRequest,
  decision: StatementDecision,
  redact: SqlRedactor | false | undefined,
  by = who(session),
  run?: StatementRun,
): AuditEvent {
  const denied = decision.action === 'deny' ? decision : undefined;
  return {
    type: 'statement',
    session: session.id,
    at: isoNow(),
    subject: by.subject,
    role: by.role,
    actor: by.actor,
    n,
    ...statementMembers(sqlTextOf(session.client.protocol, req, decision, redact), req, decision, runViaOf(run)),
    rule: denied?.rule,
    reason: denied?.message,
    rows: run?.rows,
    durationMs: run === undefined ? undefined : roundMs(run.durationMs),
    sqlState: denied?.sqlState ?? run?.sqlState,
    interrupted: run?.interrupted,
    masked: run?.masked,
    privileged: run?.privileged,
  };
}

/**
 * The JSON members of a run's statement event, the same as JSON.stringify(statementEvent(...))
 * without its braces, built from text cached per session and per statement context: a prepared
 * statement executed many times is redacted and serialized once, and each run adds only its
 * time, number and outcome. For AuditSink.emitMembers.
 */
export class StatementEventText {
  private readonly head: string;
  private readonly who: string;
  private readonly byContext = new WeakMap<StatementContext, string>();
  private readonly fetchByContext = new WeakMap<StatementContext, string>();

  constructor(
    private readonly session: SessionInfo,
    by: ReturnType<typeof who>,
    private readonly redact: SqlRedactor | false | undefined,
  ) {
    this.head = `"type":"statement","session":${JSON.stringify(session.id)}`;
    this.who = `,"subject":${JSON.stringify(by.subject)},"role":${JSON.stringify(by.role)}${by.actor === undefined ? '' : `,"actor":${JSON.stringify(by.actor)}`}`;
  }

  run(n: number, context: StatementContext, run: StatementRun): string {
    // A statement string runs once; a prepared statement once per execution (and fetch): only that is worth keeping.
    const via = runViaOf(run);
    const cache = via === 'execute' ? this.byContext : via === 'fetch' ? this.fetchByContext : undefined;
    let fixed = cache?.get(context);
    if (fixed === undefined) {
      fixed = membersJson(this.session.client.protocol, context.request, context.decision, this.redact, via);
      cache?.set(context, fixed);
    }
    let out = `${this.head},"at":"${isoNow()}"${this.who},"n":${n}${fixed},"rows":${run.rows},"durationMs":${roundMs(run.durationMs)}`;
    if (run.sqlState !== undefined) out += `,"sqlState":${JSON.stringify(run.sqlState)}`;
    if (run.interrupted) out += ',"interrupted":true';
    if (run.masked) out += `,"masked":${JSON.stringify(run.masked)}`;
    if (run.privileged) out += `,"privileged":${JSON.stringify(run.privileged)}`;
    return out;
  }
}

function runViaOf(run: StatementRun | undefined): RunVia {
  if (run?.fetch) return 'fetch';
  return run?.execute ? 'execute' : undefined;
}

function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** A refused login: for the connection code, which knows the client and the reason. */
export function authFailedEvent(client: Partial<ClientInfo>, reason: string, subject?: string): AuditEvent {
  return { type: 'auth.failed', session: NO_SESSION, at: isoNow(), reason, client: clientRecord(client), ...(subject ? { subject } : {}) };
}
