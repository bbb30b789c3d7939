// Opens an authenticated connection to a MySQL or MariaDB server as a client (MySQL docs,
// "Connection Phase"): the server's HandshakeV10, optional TLS (Protocol::SSLRequest), the
// HandshakeResponse41, then mysql_native_password or caching_sha2_password (fast and full
// authentication, over TLS or with the server's RSA key), following auth switches, up to OK.
import net from 'node:net';
import tls from 'node:tls';
import { Capability, Command, DEFAULT_COLLATION, Header } from './constants.js';
import { readErr, readOk } from './generic-packets.js';
import { readAuthSwitch, readHandshakeV10, writeHandshakeResponse, writeSslRequest, type HandshakeV10 } from './handshake.js';
import { PacketReader } from './packet-reader.js';
import { PacketWriter } from './packet-writer.js';
import { CachingSha2, cachingSha2Response, cleartextResponse, nativePasswordResponse, rsaEncryptedPassword } from './auth-scramble.js';

export type UpstreamTlsMode = 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

export interface MysqlUpstreamLogin {
  host: string;
  port: number;
  user: string;
  password?: string;
  /** Database to start in (none when undefined or empty). */
  database?: string;
  tls: { mode: UpstreamTlsMode; ca?: string | Buffer; serverName?: string };
  connectTimeoutMs: number;
  /** Capability flags the client negotiated that shape the byte stream; the upstream gets the same. */
  clientCapabilities: number;
  collation: number;
  attributes: Map<string, string>;
  /** The server's RSA public key (PEM) for caching_sha2 full authentication without TLS; asked for when absent. */
  serverPublicKey?: string;
}

export interface MysqlUpstreamConnection {
  socket: net.Socket;
  /** The server's connection (thread) id: what KILL names. */
  threadId: number;
  serverVersion: string;
  /** Capabilities in force on this connection. */
  capabilities: number;
  status: number;
  tls: boolean;
}

/** The upstream refused or failed the login; errno and serverMessage come from the server when it said why. */
export class MysqlUpstreamError extends Error {
  constructor(
    message: string,
    readonly errno?: number,
    readonly sqlState?: string,
    readonly serverMessage?: string,
  ) {
    super(message);
    this.name = 'MysqlUpstreamError';
  }
}

/** Capabilities passed through from the client: they change what the byte stream looks like, or what the server accepts. */
const PASS_THROUGH =
  Capability.LONG_PASSWORD |
  Capability.FOUND_ROWS |
  Capability.LONG_FLAG |
  Capability.IGNORE_SPACE |
  Capability.INTERACTIVE |
  Capability.TRANSACTIONS |
  Capability.MULTI_STATEMENTS |
  Capability.MULTI_RESULTS |
  Capability.PS_MULTI_RESULTS |
  Capability.DEPRECATE_EOF;

/** Flags the relay relies on being the same on both sides. */
const MUST_MATCH = Capability.DEPRECATE_EOF | Capability.MULTI_RESULTS | Capability.PS_MULTI_RESULTS;

/** Reads whole packets from a socket during login (small packets: copies are fine here). */
class LoginChannel {
  private readonly reader = new PacketReader(1 << 24);
  private readonly queue: { seq: number; payload: Buffer }[] = [];
  private waiter: ((p: { seq: number; payload: Buffer } | Error) => void) | undefined;
  private failure: Error | undefined;
  private socket: net.Socket | undefined;

  attach(socket: net.Socket): void {
    this.socket = socket;
    socket.on('data', this.onData);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
  }

  detach(): void {
    this.socket?.off('data', this.onData);
    this.socket?.off('close', this.onClose);
    this.socket?.off('error', this.onError);
    this.socket = undefined;
  }

  private readonly onData = (chunk: Buffer): void => {
    try {
      this.reader.push(chunk);
      while (this.reader.next()) {
        const r = this.reader;
        this.deliver({ seq: r.lastSeq, payload: Buffer.from(r.buf.subarray(r.start, r.end)) });
      }
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
    }
  };

  private readonly onClose = (): void => this.fail(new MysqlUpstreamError('upstream closed the connection during login'));
  private readonly onError = (err: Error): void => this.fail(new MysqlUpstreamError(`upstream connection failed during login: ${err.message}`));

  private deliver(p: { seq: number; payload: Buffer }): void {
    const w = this.waiter;
    this.waiter = undefined;
    if (w) w(p);
    else this.queue.push(p);
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    const w = this.waiter;
    this.waiter = undefined;
    w?.(err);
  }

  /** Bytes read past the last packet taken (TLS must not start with any). */
  get pending(): number {
    return this.queue.length + this.reader.holding + this.reader.unread;
  }

  packet(): Promise<{ seq: number; payload: Buffer }> {
    const p = this.queue.shift();
    if (p) return Promise.resolve(p);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = (x) => (x instanceof Error ? reject(x) : resolve(x));
    });
  }
}

function openSocket(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new MysqlUpstreamError(`connecting to ${host}:${port} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.on('error', () => undefined); // errors surface through the login channel
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new MysqlUpstreamError(`cannot reach ${host}:${port}: ${err.message}`));
    });
  });
}

function serverError(payload: Buffer, during: string): MysqlUpstreamError {
  const e = readErr(payload, 0, payload.length);
  return new MysqlUpstreamError(`upstream refused ${during}: ${e.message}`, e.errno, e.sqlState, e.message);
}

async function upgradeTls(socket: net.Socket, login: MysqlUpstreamLogin): Promise<tls.TLSSocket> {
  const mode = login.tls.mode;
  const serverName = login.tls.serverName ?? login.host;
  const options: tls.ConnectionOptions = { socket, ca: login.tls.ca, rejectUnauthorized: mode === 'verify-ca' || mode === 'verify-full' };
  if (!net.isIP(serverName)) options.servername = serverName;
  // verify-full checks the name too; verify-ca trusts the chain only; require/prefer verify nothing.
  options.checkServerIdentity = mode === 'verify-full' ? (_host, cert) => tls.checkServerIdentity(serverName, cert) : () => undefined;
  const secure = tls.connect(options);
  await new Promise<void>((resolve, reject) => {
    secure.once('secureConnect', resolve);
    secure.once('error', (err) => reject(new MysqlUpstreamError(`TLS to upstream failed: ${err.message}`)));
  });
  secure.removeAllListeners('error');
  secure.on('error', () => undefined);
  return secure;
}

/** The first answer to a plugin's challenge. */
function authAnswer(plugin: string, password: string, scramble: Buffer, secure: boolean, host: string): Buffer {
  switch (plugin) {
    case 'mysql_native_password':
      return nativePasswordResponse(password, scramble);
    case 'caching_sha2_password':
      return cachingSha2Response(password, scramble);
    case 'mysql_clear_password':
      if (!secure && !isLoopbackHost(host)) throw new MysqlUpstreamError('upstream asks for a cleartext password over a connection without TLS: refused');
      return cleartextResponse(password);
    default:
      throw new MysqlUpstreamError(`upstream asks for authentication plugin ${plugin.slice(0, 64)}, which sqlveil does not support`);
  }
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host.startsWith('127.') || host === '::1';
}

export async function connectMysqlUpstream(login: MysqlUpstreamLogin): Promise<MysqlUpstreamConnection> {
  const raw = await openSocket(login.host, login.port, login.connectTimeoutMs);
  let socket: net.Socket = raw;
  const channel = new LoginChannel();
  channel.attach(raw);
  const timer = setTimeout(() => socket.destroy(new Error(`login timed out after ${login.connectTimeoutMs} ms`)), login.connectTimeoutMs);
  try {
    const first = await channel.packet();
    if (first.payload[0] === Header.ERR) throw serverError(first.payload, 'the connection');
    const hello = readHandshakeV10(first.payload, 0, first.payload.length);
    const server = hello.capabilities;
    if (!(server & Capability.PROTOCOL_41)) throw new MysqlUpstreamError('upstream does not speak protocol 4.1');
    const missing = login.clientCapabilities & MUST_MATCH & ~server;
    if (missing) throw new MysqlUpstreamError(`upstream lacks capabilities the client negotiated (0x${missing.toString(16)})`);
    let caps =
      (login.clientCapabilities & PASS_THROUGH) |
      Capability.PROTOCOL_41 |
      Capability.SECURE_CONNECTION |
      Capability.PLUGIN_AUTH |
      Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA |
      Capability.CONNECT_ATTRS |
      (login.database ? Capability.CONNECT_WITH_DB : 0);
    caps = (caps & server) >>> 0;
    let seq = (first.seq + 1) & 0xff;
    const w = new PacketWriter(256);
    let secure = false;
    const mode = login.tls.mode;
    if (mode !== 'disable') {
      if (server & Capability.SSL) {
        caps |= Capability.SSL;
        seq = writeSslRequest(w, seq, caps, login.collation || DEFAULT_COLLATION);
        raw.write(w.take());
        channel.detach();
        socket = await upgradeTls(raw, login);
        channel.attach(socket);
        secure = true;
      } else if (mode !== 'prefer') {
        throw new MysqlUpstreamError(`upstream ${login.host}:${login.port} does not offer TLS but tls.mode is ${mode}`);
      }
    }
    const password = login.password ?? '';
    let plugin = hello.authPlugin;
    let scramble = hello.scramble;
    if (plugin !== 'mysql_native_password' && plugin !== 'caching_sha2_password') {
      // Answer with native password; the server switches us to what it wants.
      plugin = 'mysql_native_password';
    }
    seq = writeHandshakeResponse(w, seq, {
      capabilities: caps,
      collation: login.collation || DEFAULT_COLLATION,
      user: login.user,
      authResponse: authAnswer(plugin, password, scramble, secure, login.host),
      database: login.database,
      authPlugin: plugin,
      attributes: login.attributes,
    });
    socket.write(w.take());
    for (;;) {
      const p = await channel.packet();
      seq = (p.seq + 1) & 0xff;
      const head = p.payload[0];
      if (head === Header.OK) {
        const ok = readOk(p.payload, 0, p.payload.length);
        channel.detach();
        return { socket, threadId: hello.connectionId, serverVersion: hello.serverVersion, capabilities: caps, status: ok.status, tls: secure };
      }
      if (head === Header.ERR) throw serverError(p.payload, 'the login');
      if (head === Header.EOF) {
        const sw = readAuthSwitch(p.payload, 0, p.payload.length);
        plugin = sw.plugin;
        scramble = sw.data;
        w.begin(seq).bytes(authAnswer(plugin, password, scramble, secure, login.host));
        seq = w.end();
        socket.write(w.take());
        continue;
      }
      if (head === Header.MORE_DATA && plugin === 'caching_sha2_password') {
        const code = p.payload[1];
        if (p.payload.length === 2 && code === CachingSha2.FAST_AUTH_SUCCESS) continue; // OK follows
        if (p.payload.length === 2 && code === CachingSha2.PERFORM_FULL_AUTH) {
          if (secure) w.begin(seq).bytes(cleartextResponse(password));
          else if (login.serverPublicKey) w.begin(seq).bytes(rsaEncryptedPassword(password, scramble, login.serverPublicKey));
          else w.begin(seq).int1(CachingSha2.REQUEST_PUBLIC_KEY);
          seq = w.end();
          socket.write(w.take());
          continue;
        }
        // The server's public key, as asked for.
        const pem = p.payload.subarray(1).toString('latin1');
        if (!pem.includes('PUBLIC KEY')) throw new MysqlUpstreamError('unexpected caching_sha2_password data from upstream');
        w.begin(seq).bytes(rsaEncryptedPassword(password, scramble, pem));
        seq = w.end();
        socket.write(w.take());
        continue;
      }
      throw new MysqlUpstreamError(`unexpected packet 0x${(head ?? 0).toString(16)} during upstream login`);
    }
  } catch (err) {
    channel.detach();
    socket.destroy();
    if (err instanceof MysqlUpstreamError) throw err;
    throw new MysqlUpstreamError(err instanceof Error ? err.message : String(err));
  } finally {
    clearTimeout(timer);
  }
}

/** Reads the server's greeting and hangs up: its version string and capabilities. */
export async function probeMysqlServer(host: string, port: number, timeoutMs: number): Promise<HandshakeV10> {
  const socket = await openSocket(host, port, timeoutMs);
  const channel = new LoginChannel();
  channel.attach(socket);
  const timer = setTimeout(() => socket.destroy(new Error('probe timed out')), timeoutMs);
  try {
    const p = await channel.packet();
    if (p.payload[0] === Header.ERR) throw serverError(p.payload, 'the connection');
    return readHandshakeV10(p.payload, 0, p.payload.length);
  } finally {
    clearTimeout(timer);
    channel.detach();
    socket.destroy();
  }
}

/** Logs in, runs one statement (for example KILL QUERY on a side connection), and quits. */
export async function runStatement(login: MysqlUpstreamLogin, sql: string): Promise<void> {
  const conn = await connectMysqlUpstream(login);
  const channel = new LoginChannel();
  channel.attach(conn.socket);
  const w = new PacketWriter(64);
  try {
    w.begin(0).int1(Command.QUERY).string(sql).end();
    conn.socket.write(w.take());
    const p = await channel.packet();
    if (p.payload[0] === Header.ERR) throw serverError(p.payload, sql.split(' ')[0] ?? 'the statement');
    w.begin(0).int1(Command.QUIT).end();
    conn.socket.end(w.take());
  } finally {
    channel.detach();
    conn.socket.destroy();
  }
}
