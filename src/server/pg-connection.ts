// One PostgreSQL client connection, as an explicit state machine:
//   startup -> (tls) -> awaiting-password -> connecting-upstream -> relaying -> closed
// The client proves who it is with a JWT sent as its password; the gateway then logs in
// upstream with the role's service credentials and relays, feeding the session pipeline.
import net from 'node:net';
import tls from 'node:tls';
import { randomUUID } from 'node:crypto';
import { FrameReader, ProtocolError } from '../../protocols/postgres/frame-reader.js';
import { FrontendCode, type TransactionStatus } from '../../protocols/postgres/codes.js';
import { decodePassword, decodeStartupPacket } from '../../protocols/postgres/frontend-messages.js';
import {
  rewriteNotification,
  writeAuthCleartext,
  writeAuthOk,
  writeBackendKeyData,
  writeParameterStatus,
  writeReadyForQuery,
  type FieldDescription,
} from '../../protocols/postgres/backend-messages.js';
import { rewriteErrorNotice, withholdErrorNotice, writeErrorNotice, type ErrorNotice } from '../../protocols/postgres/errors.js';
import { withheldServerText } from '../session/server-text.js';
import { MessageWriter } from '../../protocols/postgres/writer.js';
import { connectUpstream, sendCancel, UpstreamLoginError, type UpstreamConnection } from '../../protocols/postgres/upstream-handshake.js';
import { queryRows } from '../../protocols/postgres/upstream-query.js';
import { PgRelay, type NameChanges, type RelayHooks, type ResultRefusal, type RowRewriter, type StatementVerdict } from '../../protocols/postgres/relay.js';
import { rewriteDataRow } from '../../protocols/postgres/data-row.js';
import { IdentityError, type VerifiedIdentity } from '../identity/types.js';
import { matchesStartupUser } from '../identity/jwt-verifier.js';
import { SessionPipeline } from '../session/pipeline.js';
import type { Denial, ResultColumn, SessionInfo, StatementContext, StatementDecision, StatementRequest } from '../session/types.js';
import type { SessionObjectEffect, StatementInfo } from '../sql/analysis.js';
import { CursorPlans } from '../session/cursor-plans.js';
import { authFailedEvent } from '../audit/session-events.js';
import type { ListenerContext } from './listener-context.js';
import { isLoopback } from './addresses.js';
import { checkUpstreamLogin, logLoginVerdict, upstreamLoginFor } from './upstream-login.js';
import type { LoginVerdict } from './login-privileges.js';
import { checkStartupParams } from './pg-startup-params.js';

type State = 'startup' | 'awaiting-password' | 'connecting-upstream' | 'relaying' | 'closed';

/** Upstream messages may be as large as PostgreSQL allows a field (1 GiB) plus framing. */
const MAX_SERVER_MESSAGE = 1024 * 1024 * 1024 + 1024;
/** Startup-phase messages are small; bound them tightly. */
const MAX_STARTUP_MESSAGE = 10_000;
/** Largest delay setTimeout accepts. */
const MAX_TIMER_MS = 0x7fffffff;

/** Trace ids an agent framework may send as startup parameters; the gateway keeps them. */
const TRACE_PARAMS = ['traceparent', 'tracestate', 'x_request_id', 'request_id', 'trace_id'];
/** Startup parameters that are the gateway's business, not forwarded upstream. */
const GATEWAY_PARAMS = new Set(['user', 'database', 'replication', ...TRACE_PARAMS]);

export class PgClientConnection {
  private state: State = 'startup';
  private socket: net.Socket;
  private readonly reader: FrameReader;
  private readonly writer = new MessageWriter(512);
  private startupParams = new Map<string, string>();
  /** Startup parameters passed upstream (checked by checkStartupParams). */
  private forwarded: Record<string, string> = {};
  /** The search_path the client set at startup, if any: where the analysis starts resolving names. */
  private initialSearchPath: string[] | undefined;
  /** Settings the startup parameters carry (names), for the role's settings allow list. */
  private startupSettings: string[] = [];
  private tls = false;
  private upstream: UpstreamConnection | undefined;
  private relay: PgRelay | undefined;
  private pipeline: SessionPipeline | undefined;
  private cancelKey: number | undefined;
  private startupTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private tokenExpired = false;
  private readonly remoteAddress: string;
  private readonly remotePort: number;

  constructor(
    socket: net.Socket,
    private readonly ctx: ListenerContext,
  ) {
    this.socket = socket;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    this.reader = new FrameReader(MAX_STARTUP_MESSAGE, false);
    socket.setNoDelay(true);
    this.listen(socket);
    this.startupTimer = setTimeout(
      () => this.fatal({ severity: 'FATAL', code: '08P01', message: 'startup did not complete in time: send the token as the password promptly' }, 'startup_timeout'),
      ctx.limits.startupTimeoutMs,
    );
  }

  private listen(socket: net.Socket): void {
    socket.on('data', this.onData);
    socket.on('error', (err) => this.close(`client error: ${err.message}`));
    socket.on('close', () => this.close('client closed'));
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.state === 'relaying' || this.state === 'closed') return;
    this.reader.push(chunk);
    try {
      while (this.state === 'startup' || this.state === 'awaiting-password') {
        if (!this.reader.next()) return;
        if (this.state === 'startup') this.onStartupFrame();
        else this.onPasswordFrame();
      }
    } catch (err) {
      if (err instanceof ProtocolError) {
        this.fatal({ severity: 'FATAL', code: err.sqlState, message: err.message }, 'protocol_error');
      } else {
        this.fatal({ severity: 'FATAL', code: 'XX000', message: 'internal gateway error during startup' }, 'internal_error');
        this.ctx.log.error({ err }, 'startup failed');
      }
    }
  };

  // ---- startup ----

  private onStartupFrame(): void {
    const r = this.reader;
    const packet = decodeStartupPacket(r.buf, r.bodyStart, r.end);
    switch (packet.kind) {
      case 'ssl':
        return this.onSslRequest();
      case 'gssenc':
        this.socket.write('N');
        return;
      case 'cancel':
        this.onCancelRequest(packet.processId, packet.secretKey);
        return;
      case 'startup':
        return this.onStartupMessage(packet.params);
    }
  }

  private onSslRequest(): void {
    if (this.tls) throw new ProtocolError('SSLRequest inside TLS');
    const secureContext = this.ctx.tlsContext;
    if (!secureContext) {
      this.socket.write('N');
      return;
    }
    // Bytes sent after SSLRequest but before the handshake would bypass TLS (CVE-2021-23222 class).
    if (this.reader.takeRest().length > 0 || this.reader.holding > 0) {
      throw new ProtocolError('unencrypted data after SSLRequest');
    }
    const plain = this.socket;
    plain.removeListener('data', this.onData);
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    plain.write('S');
    const secure = new tls.TLSSocket(plain, { isServer: true, secureContext });
    this.socket = secure;
    this.tls = true;
    this.listen(secure);
  }

  private onCancelRequest(processId: number, secretKey: number): void {
    const target = this.ctx.cancels.lookup(processId, secretKey);
    this.ctx.metrics.cancel(target ? 'forwarded' : 'unknown_key');
    if (target) target.cancel().catch((err: Error) => this.ctx.log.warn({ err: err.message }, 'cancel forwarding failed'));
    // The protocol gives no reply to a CancelRequest: just close.
    this.state = 'closed';
    clearTimeout(this.startupTimer);
    this.socket.end();
  }

  private onStartupMessage(params: Map<string, string>): void {
    this.startupParams = params;
    if (params.has('replication') && params.get('replication') !== 'false') {
      throw new ProtocolError('replication connections are not supported through sqlveil', '0A000');
    }
    const settings = checkStartupParams(params, GATEWAY_PARAMS);
    if (!settings.ok) return this.fatal({ severity: 'FATAL', code: '0A000', message: `sqlveil: ${settings.message}`, hint: settings.hint }, 'startup_setting_refused');
    this.forwarded = settings.forward;
    this.initialSearchPath = settings.searchPath;
    this.startupSettings = settings.settings;
    const database = params.get('database') || params.get('user') || '';
    if (database !== this.ctx.upstream.database) {
      return this.fatal(
        { severity: 'FATAL', code: '3D000', message: `database "${database}" is not served here`, hint: `connect with dbname=${this.ctx.upstream.database}` },
        'wrong_database',
      );
    }
    const loopbackOk = this.ctx.listener.cleartextPassword === 'tls-or-loopback' && isLoopback(this.remoteAddress);
    if (!this.tls && !loopbackOk) {
      return this.fatal(
        {
          severity: 'FATAL',
          code: '28000',
          message: 'sqlveil accepts a token only over TLS',
          hint: this.ctx.tlsContext ? 'connect with sslmode=require' : 'the gateway operator must configure TLS for this listener',
        },
        'tls_required',
      );
    }
    this.state = 'awaiting-password';
    this.reader.setTyped(true);
    this.socket.write(writeAuthCleartext(this.writer).take());
  }

  // ---- authentication ----

  private onPasswordFrame(): void {
    const r = this.reader;
    if (r.code !== FrontendCode.Password) throw new ProtocolError(`expected a password message, got '${String.fromCharCode(r.code)}'`);
    const token = decodePassword(r.buf, r.bodyStart, r.end);
    // Anything the client pipelined behind its password waits for the upstream.
    const pending = Buffer.from(r.takeRest());
    this.state = 'connecting-upstream';
    this.socket.pause();
    void this.authenticate(token, pending);
  }

  private async authenticate(token: string, pending: Buffer): Promise<void> {
    let identity: VerifiedIdentity;
    try {
      identity = await this.ctx.verifier.verify(token);
      const mismatch = matchesStartupUser(identity, this.startupParams.get('user') ?? '', this.ctx.userMismatch);
      if (mismatch) throw new IdentityError(mismatch, 'user_mismatch');
    } catch (err) {
      const e = err instanceof IdentityError ? err : new IdentityError('token could not be verified', 'verify_failed');
      this.ctx.metrics.authFailure('postgres', e.reason);
      // Who tried is what the client claimed (never the token): the audit trail keeps it.
      this.ctx.pipelineParts().audit.emit(
        authFailedEvent({ protocol: 'postgres', listener: this.ctx.listener.name, address: this.remoteAddress, port: this.remotePort, tls: this.tls, startupUser: this.startupParams.get('user') ?? '' }, e.reason),
      );
      this.ctx.log.info({ client: this.remoteAddress, reason: e.reason }, 'login refused');
      return this.fatal({ severity: 'FATAL', code: '28P01', message: `sqlveil: ${e.message}` }, e.reason);
    }
    if (this.isClosed()) return;
    // The role's settings allow list covers what the client asked for at startup, like a SET.
    const refused = this.ctx.pipelineParts().gate.startupSettings?.(identity.role, this.startupSettings);
    if (refused !== undefined) {
      return this.fatal({ severity: 'FATAL', code: refused.sqlState, message: `${refused.message} (a startup parameter)`, ...(refused.hint === undefined ? {} : { hint: refused.hint }) }, 'startup_setting_refused');
    }

    let upstream: UpstreamConnection;
    const login = upstreamLoginFor(this.ctx, identity.role, this.forwardedParams());
    try {
      upstream = await connectUpstream(login);
    } catch (err) {
      this.ctx.metrics.upstreamError('postgres');
      const detail = err instanceof UpstreamLoginError ? err.message : String(err);
      this.ctx.log.warn({ role: identity.role, upstream: this.ctx.upstream.name, err: detail }, 'upstream login failed');
      // The client learns that the upstream failed, not the service account's details.
      const passThrough = err instanceof UpstreamLoginError && err.sqlState && !err.sqlState.startsWith('28') ? err.serverMessage : undefined;
      return this.fatal(
        { severity: 'FATAL', code: err instanceof UpstreamLoginError && err.sqlState ? err.sqlState : '08006', message: `sqlveil: upstream connection failed${passThrough ? `: ${passThrough}` : ''}`, hint: 'retry later; if it persists, the gateway operator must check the upstream and the role credentials' },
        'upstream_failed',
      );
    }
    // The server's own word on this session (is_superuser), and the login's privileges (cached).
    const verdict = await checkUpstreamLogin(this.ctx, identity.role, login, upstream.parameters.get('is_superuser'));
    if (this.isClosed() || verdict.action === 'refuse') {
      upstream.socket.destroy();
      if (verdict.action === 'refuse') this.refuseLogin(identity, login.user, verdict);
      return;
    }
    logLoginVerdict(this.ctx, identity.role, login.user, verdict, 'login');
    // Names resolve by the path the server really uses (role and database defaults, startup
    // options), never by what the client's options claim.
    try {
      const rows = await queryRows(upstream.socket, SEARCH_PATH_QUERY, this.ctx.upstream.connectTimeoutMs);
      this.initialSearchPath = rows.flatMap((r) => (r[0] == null ? [] : [r[0]]));
    } catch (err) {
      upstream.socket.destroy();
      this.ctx.log.warn({ role: identity.role, upstream: this.ctx.upstream.name, err: String(err) }, 'upstream search path unknown');
      return this.fatal({ severity: 'FATAL', code: '08006', message: 'sqlveil: the gateway could not read the session search path from the database', hint: 'retry later; the gateway operator must check the upstream' }, 'upstream_failed');
    }
    if (this.isClosed()) {
      upstream.socket.destroy();
      return;
    }
    this.upstream = upstream;
    this.startSession(identity, upstream, pending);
  }

  private refuseLogin(identity: VerifiedIdentity, user: string, verdict: Exclude<LoginVerdict, { action: 'ok' }>): void {
    logLoginVerdict(this.ctx, identity.role, user, verdict, 'login');
    this.ctx.pipelineParts().audit.emit(
      authFailedEvent({ protocol: 'postgres', listener: this.ctx.listener.name, address: this.remoteAddress, port: this.remotePort, tls: this.tls, startupUser: this.startupParams.get('user') ?? '' }, 'upstream_login_refused', identity.subject),
    );
    this.fatal({ severity: 'FATAL', code: '28000', message: `sqlveil: ${verdict.message}`, hint: verdict.hint }, 'upstream_login_refused');
  }

  private forwardedParams(): Record<string, string> {
    return this.forwarded;
  }

  // ---- relaying ----

  private startSession(identity: VerifiedIdentity, upstream: UpstreamConnection, pending: Buffer): void {
    clearTimeout(this.startupTimer);
    const session: SessionInfo = {
      id: `ses_${randomUUID()}`,
      identity,
      client: {
        protocol: 'postgres',
        listener: this.ctx.listener.name,
        address: this.remoteAddress,
        port: this.remotePort,
        tls: this.tls,
        startupUser: this.startupParams.get('user') ?? '',
        database: this.ctx.upstream.database,
        applicationName: this.startupParams.get('application_name') || undefined,
        traceIds: traceIdsFrom(this.startupParams),
        ...(this.initialSearchPath ? { searchPath: this.initialSearchPath } : {}),
      },
      upstream: this.ctx.upstream.name,
      startedAt: new Date(),
    };
    this.pipeline = new SessionPipeline(session, this.ctx.pipelineParts());

    const key = this.ctx.cancels.register({ cancel: () => this.cancelUpstream() });
    this.cancelKey = key.processId;

    const w = this.writer;
    writeAuthOk(w);
    for (const [name, value] of upstream.parameters) writeParameterStatus(w, name, value);
    writeBackendKeyData(w, key.processId, key.secretKey);
    writeReadyForQuery(w, 'I');
    this.socket.write(w.take());

    upstream.socket.on('error', (err) => this.close(`upstream error: ${err.message}`));
    // The server usually says why it goes (a FATAL the relay forwards); if not, the client hears it from us.
    upstream.socket.on('close', () =>
      this.fatal({ severity: 'FATAL', code: '08006', message: 'sqlveil: the database closed the connection', hint: 'reconnect; if it persists, the database may be restarting' }, 'upstream_closed'),
    );
    this.relay = new PgRelay(this.socket, upstream.socket, this.relayHooks(this.pipeline), {
      maxClientMessageBytes: this.ctx.limits.maxClientMessageBytes,
      maxServerMessageBytes: MAX_SERVER_MESSAGE,
    }, (err, side) => {
      if (side === 'client') {
        const code = err instanceof ProtocolError ? err.sqlState : 'XX000';
        this.fatal({ severity: 'FATAL', code, message: err instanceof ProtocolError ? err.message : 'internal gateway error' }, 'protocol_error');
      } else {
        this.ctx.log.error({ err: err.message }, 'upstream protocol error');
        this.fatal({ severity: 'FATAL', code: '08P01', message: 'sqlveil: the upstream sent a message the gateway cannot read' }, 'upstream_protocol_error');
      }
    });
    this.state = 'relaying';
    this.socket.removeListener('data', this.onData);
    this.relay.start(pending);
    this.socket.resume();
    this.armExpiry(identity.expiresAt);
    this.ctx.log.info({ session: session.id, sub: identity.subject, role: identity.role, client: this.remoteAddress, tls: this.tls }, 'session started');
  }

  private relayHooks(pipeline: SessionPipeline): RelayHooks {
    const cursors = new CursorPlans();
    return {
      statement: (sql, via, name) => {
        const req: StatementRequest = { sql, via: via === 'simple' ? 'simple' : 'prepare', name };
        return toVerdict(pipeline, req, pipeline.statement(req));
      },
      functionCall: () => {
        const req: StatementRequest = { sql: '', via: 'function-call', name: '' };
        const d = pipeline.statement(req);
        if (d instanceof Promise) return { allow: false, error: functionCallRefused };
        return toVerdict(pipeline, req, d) as StatementVerdict;
      },
      columns: (fields, context, index) => rowRewriterFor(pipeline, fields, cursors.planOf(statementAt(context, index))),
      requestEnd: (context, outcome) => pipeline.statementEnd(context as StatementContext, outcome),
      resultEnd: (tag, rows, context, index) => {
        pipeline.resultEnd(rows);
        if (tag === undefined) return undefined;
        if (tag === 'ROLLBACK') cursors.rolledBack();
        const statement = statementAt(context, index);
        if (statement?.sessionObject === undefined) return undefined;
        cursors.completed(statement);
        return nameChanges(statement.sessionObject);
      },
      serverMessage: (buf, bodyStart, end, context) => {
        // After a statement that read protected columns (or of an unknown request): a fixed text.
        const policy = pipeline.serverText(context as StatementContext | undefined);
        if (!policy) return undefined;
        if (policy.withhold) return withholdErrorNotice(buf, bodyStart, end, (code) => withheldServerText(`SQLSTATE ${code}`));
        return rewriteErrorNotice(buf, bodyStart, end, policy.mask);
      },
      portalReplaced: (name) => cursors.replaced(name),
      // Another session's payload can carry any value in any encoding: a masked role gets none.
      notification: (buf, bodyStart, end) => (pipeline.serverText(undefined) ? rewriteNotification(buf, bodyStart, end, withheldPayload) : undefined),
      ready: (status: TransactionStatus) => {
        if (status === 'I') cursors.transactionEnded();
        if (this.tokenExpired) setImmediate(() => this.expire());
      },
      rowLimitExceeded: (limit) => denialNotice(pipeline.rowLimitExceeded(limit)),
      cancelUpstream: () => this.cancelUpstream(),
    };
  }

  private cancelUpstream(): Promise<void> {
    const up = this.upstream;
    if (!up) return Promise.resolve();
    const target = { host: this.ctx.upstream.host, port: this.ctx.upstream.port, connectTimeoutMs: this.ctx.upstream.connectTimeoutMs };
    return sendCancel(target, up.processId, up.secretKey);
  }

  /** The session ends when its token does: at once when idle, else after the current request. */
  private armExpiry(expiresAt: number): void {
    const ms = expiresAt * 1000 - Date.now();
    this.expiryTimer = setTimeout(
      () => {
        if (Date.now() < expiresAt * 1000) return this.armExpiry(expiresAt);
        this.tokenExpired = true;
        if (this.relay?.idle) this.expire();
      },
      Math.min(Math.max(ms, 0), MAX_TIMER_MS),
    );
  }

  private expire(): void {
    this.fatal({ severity: 'FATAL', code: '28000', message: 'sqlveil: the session token has expired', hint: 'reconnect with a fresh token' }, 'token_expired');
  }

  // ---- ending ----

  /** Re-reads the state after an await (another event may have closed the connection). */
  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private fatal(e: ErrorNotice, reason: string): void {
    if (this.state === 'closed') return;
    const frame = writeErrorNotice(this.writer, e).take();
    this.relay?.stop();
    this.socket.end(frame);
    this.close(reason);
  }

  close(reason: string): void {
    if (this.state === 'closed' && !this.upstream && !this.pipeline) return;
    this.state = 'closed';
    clearTimeout(this.startupTimer);
    clearTimeout(this.expiryTimer);
    this.relay?.stop();
    if (this.cancelKey !== undefined) this.ctx.cancels.unregister(this.cancelKey);
    this.cancelKey = undefined;
    if (this.upstream) {
      const s = this.upstream.socket;
      this.upstream = undefined;
      if (!s.destroyed) s.destroy();
    }
    if (!this.socket.destroyed) {
      this.socket.end();
      this.socket.destroySoon?.();
    }
    const p = this.pipeline;
    this.pipeline = undefined;
    p?.end(reason);
  }
}

const withheldPayload = (): string => 'sqlveil: payload withheld';

/** The schemas unqualified names resolve in, in order, as the server has them (those that exist). */
const SEARCH_PATH_QUERY = 'SELECT s FROM pg_catalog.unnest(pg_catalog.current_schemas(false)) AS s';

const functionCallRefused: ErrorNotice = {
  severity: 'ERROR',
  code: '0A000',
  message: 'sqlveil: FunctionCall messages are not supported',
  hint: 'call the function with a SELECT statement',
};

function denialNotice(d: Denial): ErrorNotice {
  return { severity: 'ERROR', code: d.sqlState, message: d.message, hint: d.hint, detail: d.rule ? `rule: ${d.rule}` : undefined };
}

/** An allowed statement carries its StatementContext through the relay, to be audited when each run ends. */
function toVerdict(pipeline: SessionPipeline, req: StatementRequest, d: StatementDecision | Promise<StatementDecision>): StatementVerdict | Promise<StatementVerdict> {
  if (d instanceof Promise) return d.then((x) => toVerdict(pipeline, req, x) as StatementVerdict);
  if (d.action === 'allow') return { allow: true, maxRows: d.maxRows, context: pipeline.context(req, d) };
  return { allow: false, error: denialNotice(d) };
}

/** The analysed statement of result `index` of a run (undefined when the relay had no context). */
function statementAt(context: unknown, index: number): StatementInfo | undefined {
  return (context as StatementContext | undefined)?.decision.statements?.[index];
}

/** Server-side names a completed statement changed, for the relay to forget. */
function nameChanges(effect: SessionObjectEffect): NameChanges {
  const names = effect.name === undefined ? 'all' : [effect.name];
  if (effect.object === 'all') return { statements: 'all', portals: 'all' };
  // A cursor is a portal; a SQL-level PREPARE makes a statement no Parse allowed: neither may be bound or executed by name.
  return effect.object === 'cursor' ? { portals: names } : { statements: names };
}

function toColumns(fields: FieldDescription[]): ResultColumn[] {
  return fields.map((f) => ({
    name: f.name,
    origin: f.tableOid !== 0 ? { protocol: 'postgres', tableOid: f.tableOid, columnAttr: f.columnAttr } : undefined,
    typeId: f.typeOid,
    format: f.format === 1 ? 'binary' : 'text',
  }));
}

/**
 * Columns by row description, by identity: each relay hands back the same array for a repeated
 * shape, so masking's per-result caches (keyed by the columns array) hit.
 */
const columnsByFields = new WeakMap<FieldDescription[], ResultColumn[]>();

function columnsOf(fields: FieldDescription[]): ResultColumn[] {
  let columns = columnsByFields.get(fields);
  if (columns === undefined) columnsByFields.set(fields, (columns = toColumns(fields)));
  return columns;
}

function rowRewriterFor(pipeline: SessionPipeline, fields: FieldDescription[] | undefined, statement: StatementInfo | undefined): RowRewriter | ResultRefusal | undefined {
  const transform = pipeline.resultColumns(fields && columnsOf(fields), statement);
  if (!transform) return undefined;
  if ('action' in transform) return { refuse: denialNotice(transform) };
  if (transform.columns.length === 0) return undefined;
  const apply = (c: number, buf: Buffer, start: number, end: number) => transform.apply(c, buf, start, end);
  return { rewrite: (buf, bodyStart, end) => rewriteDataRow(buf, bodyStart, end, transform.columns, apply) };
}

/** Trace ids an agent framework may put in startup options (W3C traceparent, or a plain id). */
function traceIdsFrom(params: Map<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of TRACE_PARAMS) {
    const v = params.get(key);
    if (v) out[key] = v.slice(0, 256);
  }
  return out;
}
