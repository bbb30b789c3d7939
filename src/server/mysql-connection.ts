// One MySQL client connection, as an explicit state machine:
//   greeting -> awaiting-response -> (tls -> awaiting-response) -> awaiting-token
//            -> connecting-upstream -> relaying -> closed
// The client proves who it is with a JWT sent through mysql_clear_password (an auth switch);
// the gateway logs in upstream with the role's service credentials and relays, feeding the
// session pipeline.
import net from 'node:net';
import tls from 'node:tls';
import { randomBytes, randomUUID } from 'node:crypto';
import { Capability, DEFAULT_COLLATION, ErrorCode, SAFE_CLIENT_COLLATIONS, ServerStatus } from '../../protocols/mysql/constants.js';
import { PacketReader, MysqlProtocolError } from '../../protocols/mysql/packet-reader.js';
import { PacketWriter } from '../../protocols/mysql/packet-writer.js';
import { writeErr, writeOk, type ErrPacket } from '../../protocols/mysql/generic-packets.js';
import { readHandshakeResponse, writeAuthSwitch, writeHandshakeV10, type HandshakeResponse } from '../../protocols/mysql/handshake.js';
import { connectMysqlUpstream, MysqlUpstreamError, probeMysqlServer, runStatement, type MysqlUpstreamConnection, type MysqlUpstreamLogin } from '../../protocols/mysql/upstream-login.js';
import { MysqlRelay } from '../../protocols/mysql/relay.js';
import { prefixedStream } from '../../protocols/mysql/prefixed-stream.js';
import { IdentityError, type VerifiedIdentity } from '../identity/types.js';
import { matchesStartupUser } from '../identity/jwt-verifier.js';
import { SessionPipeline } from '../session/pipeline.js';
import type { SessionInfo } from '../session/types.js';
import { authFailedEvent } from '../audit/session-events.js';
import type { ListenerContext } from './listener-context.js';
import { isLoopback } from './addresses.js';
import { checkUpstreamLogin, logLoginVerdict, upstreamLoginFor } from './upstream-login.js';
import type { LoginVerdict } from './login-privileges.js';
import { accessDenied } from './mysql-errors.js';
import { MysqlRelayAdapter } from './mysql-relay-hooks.js';
import type { MysqlSessionRegistry } from './mysql-sessions.js';

type State = 'greeting' | 'awaiting-response' | 'awaiting-token' | 'connecting-upstream' | 'relaying' | 'closed';

/** Upstream packets may be as large as max_allowed_packet allows (1 GiB). */
const MAX_SERVER_PAYLOAD = 1024 * 1024 * 1024;
/** Handshake-phase packets are small; bound them tightly. */
const MAX_HANDSHAKE_PAYLOAD = 16_384;
const MAX_TIMER_MS = 0x7fffffff;
const CLEAR_PASSWORD = 'mysql_clear_password';

/** What the gateway offers its clients (MySQL docs, "Capabilities Flags"); SSL when the listener has TLS. */
const SERVER_CAPABILITIES =
  Capability.LONG_PASSWORD | // CLIENT_MYSQL: no MariaDB extended capabilities
  Capability.FOUND_ROWS |
  Capability.LONG_FLAG |
  Capability.CONNECT_WITH_DB |
  Capability.IGNORE_SPACE |
  Capability.PROTOCOL_41 |
  Capability.INTERACTIVE |
  Capability.TRANSACTIONS |
  Capability.SECURE_CONNECTION |
  Capability.MULTI_STATEMENTS |
  Capability.MULTI_RESULTS |
  Capability.PS_MULTI_RESULTS |
  Capability.PLUGIN_AUTH |
  Capability.CONNECT_ATTRS |
  Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA |
  Capability.DEPRECATE_EOF;

/** Connection attributes an agent framework may send as trace ids; the gateway keeps them. */
const TRACE_ATTRIBUTES = ['traceparent', 'tracestate', 'x_request_id', 'request_id', 'trace_id'];
const MAX_FORWARDED_ATTRIBUTES = 32;

/** The upstream's version string, learned once per listener and shown to clients as the server's. */
const serverVersions = new WeakMap<ListenerContext, Promise<string>>();
const FALLBACK_VERSION = '8.0.36-sqlveil';

function serverVersionFor(ctx: ListenerContext): Promise<string> {
  let v = serverVersions.get(ctx);
  if (!v) {
    v = probeMysqlServer(ctx.upstream.host, ctx.upstream.port, ctx.upstream.connectTimeoutMs).then(
      (h) => h.serverVersion,
      () => {
        serverVersions.delete(ctx); // try again on the next client
        return FALLBACK_VERSION;
      },
    );
    serverVersions.set(ctx, v);
  }
  return v;
}

export class MysqlClientConnection {
  private state: State = 'greeting';
  private socket: net.Socket;
  private readonly reader = new PacketReader(MAX_HANDSHAKE_PAYLOAD);
  private readonly writer = new PacketWriter(256);
  // Printable, NUL-free scramble bytes, as servers send.
  private readonly scramble = Buffer.from(randomBytes(20).map((b) => (b & 0x7f) || 0x41));
  private readonly connectionId: number;
  private response: HandshakeResponse | undefined;
  private tls = false;
  /** Sequence id the next packet to the client takes during the handshake. */
  private seq = 0;
  private upstream: MysqlUpstreamConnection | undefined;
  private relay: MysqlRelay | undefined;
  private pipeline: SessionPipeline | undefined;
  private identity: VerifiedIdentity | undefined;
  private startupTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private tokenExpired = false;
  private readonly remoteAddress: string;
  private readonly remotePort: number;

  constructor(
    socket: net.Socket,
    private readonly ctx: ListenerContext,
    private readonly sessions: MysqlSessionRegistry,
  ) {
    this.socket = socket;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    this.connectionId = sessions.register({ subject: () => this.identity?.subject, upstreamThreadId: () => this.upstream?.threadId });
    socket.setNoDelay(true);
    this.listen(socket);
    this.startupTimer = setTimeout(
      () => this.fatal({ errno: ErrorCode.HANDSHAKE, sqlState: '08S01', message: 'sqlveil: login did not complete in time: send the token as the password promptly' }, 'startup_timeout'),
      ctx.limits.startupTimeoutMs,
    );
    void this.greet();
  }

  private listen(socket: net.Socket): void {
    socket.on('data', this.onData);
    socket.on('error', (err) => this.close(`client error: ${err.message}`));
    socket.on('close', () => this.close('client closed'));
  }

  private async greet(): Promise<void> {
    const version = await serverVersionFor(this.ctx);
    if (this.state !== 'greeting') return;
    const caps = SERVER_CAPABILITIES | (this.ctx.tlsContext ? Capability.SSL : 0);
    this.seq = writeHandshakeV10(this.writer, {
      serverVersion: version,
      connectionId: this.connectionId,
      scramble: this.scramble,
      capabilities: caps,
      collation: DEFAULT_COLLATION,
      status: ServerStatus.AUTOCOMMIT,
      authPlugin: 'mysql_native_password',
    });
    this.state = 'awaiting-response';
    this.socket.write(this.writer.take());
    if (this.reader.unread > 0) this.onData(Buffer.alloc(0));
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.state === 'relaying' || this.state === 'closed') return;
    this.reader.push(chunk);
    if (this.state === 'greeting') return; // the handshake has not gone out yet
    try {
      while (this.state === 'awaiting-response' || this.state === 'awaiting-token') {
        if (!this.reader.next()) return;
        this.seq = (this.reader.lastSeq + 1) & 0xff;
        if (this.state === 'awaiting-response') this.onHandshakeResponse();
        else this.onTokenPacket();
      }
    } catch (err) {
      if (err instanceof MysqlProtocolError) {
        this.fatal({ errno: err.errno, sqlState: err.sqlState, message: `sqlveil: ${err.message}` }, 'protocol_error');
      } else {
        this.fatal({ errno: ErrorCode.HANDSHAKE, sqlState: '08S01', message: 'sqlveil: internal gateway error during login' }, 'internal_error');
        this.ctx.log.error({ err }, 'mysql login failed');
      }
    }
  };

  // ---- handshake ----

  private onHandshakeResponse(): void {
    const r = this.reader;
    const response = readHandshakeResponse(r.buf, r.start, r.end);
    if (response.capabilities & Capability.COMPRESS) {
      return this.fatal({ errno: ErrorCode.NOT_SUPPORTED_YET, sqlState: '08004', message: 'sqlveil: compressed connections are not supported: connect without compression' }, 'compression_refused');
    }
    if (response.sslRequest) return this.startTls();
    if (!SAFE_CLIENT_COLLATIONS.has(response.collation)) {
      return this.fatal(
        { errno: ErrorCode.UNKNOWN_CHARACTER_SET, sqlState: '42000', message: `sqlveil: the client character set (collation ${response.collation}) is not supported: connect with utf8mb4 (for example --default-character-set=utf8mb4)` },
        'charset_refused',
      );
    }
    this.response = response;
    const loopbackOk = this.ctx.listener.cleartextPassword === 'tls-or-loopback' && isLoopback(this.remoteAddress);
    if (!this.tls && !loopbackOk) {
      const hint = this.ctx.tlsContext ? 'connect with --ssl (ssl-mode=REQUIRED)' : 'the gateway operator must configure TLS for this listener';
      return this.fatal(accessDenied(`sqlveil accepts a token only over TLS (hint: ${hint})`), 'tls_required');
    }
    const token = response.authPlugin === CLEAR_PASSWORD && response.authResponse.length > 0 ? tokenOf(response.authResponse) : undefined;
    if (token !== undefined) return this.startAuthentication(token);
    // Ask for the token in clear: the only way a JWT fits through the MySQL auth plugins.
    this.state = 'awaiting-token';
    this.seq = writeAuthSwitch(this.writer, this.seq, CLEAR_PASSWORD, Buffer.concat([this.scramble, Buffer.from([0])]));
    this.socket.write(this.writer.take());
  }

  private startTls(): void {
    if (this.tls) throw new MysqlProtocolError('SSL request inside TLS');
    const secureContext = this.ctx.tlsContext;
    if (!secureContext) throw new MysqlProtocolError('TLS is not available on this listener', ErrorCode.HANDSHAKE, '08S01');
    // The client starts TLS without waiting for an answer: bytes read past the request are the
    // start of its ClientHello, and TLS starts from them (nothing after the request is read in clear).
    if (this.reader.holding > 0) throw new MysqlProtocolError('unencrypted data after the SSL request');
    const early = Buffer.from(this.reader.takeRest());
    const plain = this.socket;
    plain.removeListener('data', this.onData);
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    const secure = new tls.TLSSocket(early.length > 0 ? (prefixedStream(plain, early) as net.Socket) : plain, { isServer: true, secureContext });
    this.socket = secure;
    this.tls = true;
    this.listen(secure);
  }

  private onTokenPacket(): void {
    const r = this.reader;
    this.startAuthentication(tokenOf(r.buf.subarray(r.start, r.end)));
  }

  private startAuthentication(token: string): void {
    // Anything pipelined behind the login waits for the upstream.
    const pending = Buffer.from(this.reader.takeRest());
    this.state = 'connecting-upstream';
    this.socket.pause();
    void this.authenticate(token, pending);
  }

  private async authenticate(token: string, pending: Buffer): Promise<void> {
    const response = this.response!;
    let identity: VerifiedIdentity;
    try {
      if (token === '') throw new IdentityError('no token: send the token as the password (mysql_clear_password)', 'no_token');
      identity = await this.ctx.verifier.verify(token);
      const mismatch = matchesStartupUser(identity, response.user, this.ctx.userMismatch);
      if (mismatch) throw new IdentityError(mismatch, 'user_mismatch');
    } catch (err) {
      const e = err instanceof IdentityError ? err : new IdentityError('token could not be verified', 'verify_failed');
      this.ctx.metrics.authFailure('mysql', e.reason);
      // Who tried is what the client claimed (never the token): the audit trail keeps it.
      this.ctx.pipelineParts().audit.emit(
        authFailedEvent({ protocol: 'mysql', listener: this.ctx.listener.name, address: this.remoteAddress, port: this.remotePort, tls: this.tls, startupUser: response.user }, e.reason),
      );
      this.ctx.log.info({ client: this.remoteAddress, reason: e.reason }, 'login refused');
      return this.fatal(accessDenied(`sqlveil: ${e.message}`), e.reason);
    }
    if (this.isClosed()) return;

    let upstream: MysqlUpstreamConnection;
    try {
      upstream = await connectMysqlUpstream(this.upstreamLogin(identity.role, response));
    } catch (err) {
      this.ctx.metrics.upstreamError('mysql');
      const e = err instanceof MysqlUpstreamError ? err : new MysqlUpstreamError(String(err));
      this.ctx.log.warn({ role: identity.role, upstream: this.ctx.upstream.name, err: e.message }, 'upstream login failed');
      // The client learns why only when it is not about the service account's authentication.
      const passThrough = e.errno !== undefined && e.errno !== ErrorCode.ACCESS_DENIED && e.errno !== 1044 && !e.sqlState?.startsWith('28');
      return this.fatal(
        {
          errno: passThrough ? e.errno! : ErrorCode.HANDSHAKE,
          sqlState: passThrough ? (e.sqlState ?? 'HY000') : '08S01',
          message: `sqlveil: upstream connection failed${passThrough ? `: ${e.serverMessage}` : ''} (hint: retry later; if it persists, the gateway operator must check the upstream and the role credentials)`,
        },
        'upstream_failed',
      );
    }
    const login = upstreamLoginFor(this.ctx, identity.role, {});
    const verdict = await checkUpstreamLogin(this.ctx, identity.role, login);
    if (this.isClosed() || verdict.action === 'refuse') {
      upstream.socket.destroy();
      if (verdict.action === 'refuse') this.refuseLogin(identity, login.user, verdict);
      return;
    }
    logLoginVerdict(this.ctx, identity.role, login.user, verdict, 'login');
    this.upstream = upstream;
    this.identity = identity;
    this.startSession(identity, upstream, pending);
  }

  private refuseLogin(identity: VerifiedIdentity, user: string, verdict: Exclude<LoginVerdict, { action: 'ok' }>): void {
    logLoginVerdict(this.ctx, identity.role, user, verdict, 'login');
    this.ctx.pipelineParts().audit.emit(
      authFailedEvent({ protocol: 'mysql', listener: this.ctx.listener.name, address: this.remoteAddress, port: this.remotePort, tls: this.tls, startupUser: this.response?.user ?? '' }, 'upstream_login_refused', identity.subject),
    );
    this.fatal(accessDenied(`sqlveil: ${verdict.message} (hint: ${verdict.hint})`), 'upstream_login_refused');
  }

  private upstreamLogin(role: string, response: HandshakeResponse): MysqlUpstreamLogin {
    const base = upstreamLoginFor(this.ctx, role, {});
    const attributes = new Map<string, string>();
    for (const [k, v] of response.attributes) {
      if (attributes.size >= MAX_FORWARDED_ATTRIBUTES) break;
      attributes.set(k.slice(0, 64), v.slice(0, 256));
    }
    attributes.set('sqlveil_connection', String(this.connectionId));
    return {
      host: base.host,
      port: base.port,
      user: base.user,
      password: base.password,
      // Unlike PostgreSQL, a MySQL session moves between databases: start where the client asks.
      database: response.database,
      tls: base.tls,
      connectTimeoutMs: base.connectTimeoutMs,
      clientCapabilities: response.capabilities,
      collation: response.collation,
      attributes,
    };
  }

  // ---- relaying ----

  private startSession(identity: VerifiedIdentity, upstream: MysqlUpstreamConnection, pending: Buffer): void {
    clearTimeout(this.startupTimer);
    const response = this.response!;
    const session: SessionInfo = {
      id: `ses_${randomUUID()}`,
      identity,
      client: {
        protocol: 'mysql',
        listener: this.ctx.listener.name,
        address: this.remoteAddress,
        port: this.remotePort,
        tls: this.tls,
        startupUser: response.user,
        database: response.database ?? '',
        applicationName: response.attributes.get('program_name')?.slice(0, 256) || undefined,
        traceIds: traceIdsFrom(response.attributes),
      },
      upstream: this.ctx.upstream.name,
      startedAt: new Date(),
    };
    const pipeline = new SessionPipeline(session, this.ctx.pipelineParts());
    this.pipeline = pipeline;

    writeOk(this.writer, this.seq, { status: upstream.status });
    this.socket.write(this.writer.take());

    upstream.socket.on('error', (err) => this.close(`upstream error: ${err.message}`));
    // The server usually says why it goes (an ERR the relay forwards); either way the client is closed.
    upstream.socket.on('close', () => this.close('upstream closed'));
    const adapter = new MysqlRelayAdapter(pipeline, this.sessions, {
      killQuery: () => this.killUpstreamQuery(upstream.threadId),
      idle: () => {
        if (this.tokenExpired) setImmediate(() => this.expire());
      },
      quit: () => this.close('client quit'),
    });
    this.relay = new MysqlRelay(
      this.socket,
      upstream.socket,
      adapter,
      {
        maxClientPayload: this.ctx.limits.maxClientMessageBytes,
        maxServerPayload: MAX_SERVER_PAYLOAD,
        deprecateEof: (upstream.capabilities & Capability.DEPRECATE_EOF) !== 0,
      },
      (err, side) => {
        if (side === 'client') {
          const e = err instanceof MysqlProtocolError ? err : undefined;
          this.fatal({ errno: e?.errno ?? ErrorCode.HANDSHAKE, sqlState: e?.sqlState ?? '08S01', message: `sqlveil: ${e ? e.message : 'internal gateway error'}` }, 'protocol_error');
        } else {
          this.ctx.log.error({ err: err.message }, 'upstream protocol error');
          this.fatal({ errno: ErrorCode.HANDSHAKE, sqlState: '08S01', message: 'sqlveil: the upstream sent a packet the gateway cannot read' }, 'upstream_protocol_error');
        }
      },
    );
    this.state = 'relaying';
    this.socket.removeListener('data', this.onData);
    this.relay.start(pending);
    this.socket.resume();
    this.armExpiry(identity.expiresAt);
    this.ctx.log.info({ session: session.id, sub: identity.subject, role: identity.role, client: this.remoteAddress, tls: this.tls, connection: this.connectionId, thread: upstream.threadId }, 'session started');
  }

  /** KILL QUERY for this session's upstream thread, on a side connection with the same credentials. */
  private async killUpstreamQuery(threadId: number): Promise<void> {
    const identity = this.identity;
    if (!identity || !this.response) return;
    const login = this.upstreamLogin(identity.role, this.response);
    await runStatement({ ...login, database: undefined, clientCapabilities: 0, attributes: new Map([['program_name', 'sqlveil-kill']]) }, `KILL QUERY ${threadId}`).catch((err: Error) =>
      this.ctx.log.warn({ err: err.message }, 'KILL QUERY on the upstream failed'),
    );
  }

  /** The session ends when its token does: at once when idle, else after the command in flight. */
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
    // Sequence id 0: an unsolicited packet, read by the client with its next command.
    this.fatal({ errno: ErrorCode.ACCESS_DENIED, sqlState: '28000', message: 'sqlveil: the session token has expired (hint: reconnect with a fresh token)' }, 'token_expired', 0);
  }

  // ---- ending ----

  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private fatal(e: ErrPacket, reason: string, seq = this.seq): void {
    if (this.state === 'closed') return;
    writeErr(this.writer, seq, e);
    const frame = this.writer.take();
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
    this.sessions.unregister(this.connectionId);
    if (this.upstream) {
      const s = this.upstream.socket;
      // A statement still running upstream would outlive its client (the server notices a closed
      // connection only when it next writes): stop it.
      if (this.relay && !this.relay.idle && !s.destroyed) void this.killUpstreamQuery(this.upstream.threadId);
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

/** The token from a clear-password answer: the bytes up to the first NUL. */
function tokenOf(data: Buffer): string {
  const nul = data.indexOf(0);
  return data.toString('utf8', 0, nul < 0 ? data.length : nul).trim();
}

/** Trace ids an agent framework may put in connection attributes (W3C traceparent, or a plain id). */
function traceIdsFrom(attrs: Map<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of TRACE_ATTRIBUTES) {
    const v = attrs.get(key);
    if (v) out[key] = v.slice(0, 256);
  }
  return out;
}
