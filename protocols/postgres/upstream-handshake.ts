// Opens an authenticated connection to a PostgreSQL server as a client: optional TLS
// (PostgreSQL docs, "SSL Session Encryption"), StartupMessage, then trust, cleartext, md5 or
// SCRAM-SHA-256 authentication, up to the first ReadyForQuery. pg-protocol serializes the
// frontend messages and parses the server's replies in this phase.
import net from 'node:net';
import tls from 'node:tls';
import { serialize, type DatabaseError } from 'pg-protocol';
import { Parser } from 'pg-protocol/dist/parser.js';
import type { BackendMessage } from 'pg-protocol/dist/messages.js';
import { md5PasswordResponse, SCRAM_MECHANISM, ScramClient } from './scram-client.js';

export type UpstreamTlsMode = 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

export interface UpstreamLogin {
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string;
  tls: { mode: UpstreamTlsMode; ca?: string | Buffer; serverName?: string };
  connectTimeoutMs: number;
  /** Extra startup parameters (application_name, options, client_encoding, ...). */
  params: Record<string, string>;
}

export interface UpstreamConnection {
  socket: net.Socket;
  processId: number;
  secretKey: number;
  /** ParameterStatus values in the order the server reported them. */
  parameters: Map<string, string>;
  tls: boolean;
}

/** The upstream refused or failed the login; `sqlState` and `serverMessage` come from the server when it said why. */
export class UpstreamLoginError extends Error {
  constructor(
    message: string,
    readonly sqlState?: string,
    readonly serverMessage?: string,
  ) {
    super(message);
    this.name = 'UpstreamLoginError';
  }
}

function openSocket(login: UpstreamLogin): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: login.host, port: login.port });
    socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new UpstreamLoginError(`connecting to ${login.host}:${login.port} timed out after ${login.connectTimeoutMs} ms`));
    }, login.connectTimeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new UpstreamLoginError(`cannot reach ${login.host}:${login.port}: ${err.message}`));
    });
  });
}

function readOneByte(socket: net.Socket): Promise<number> {
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      cleanup();
      if (chunk.length !== 1) {
        socket.destroy();
        reject(new UpstreamLoginError('unexpected reply to SSLRequest'));
        return;
      }
      resolve(chunk[0]!);
    };
    const onEnd = () => {
      cleanup();
      reject(new UpstreamLoginError('server closed the connection during TLS negotiation'));
    };
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('error', onEnd);
      socket.off('close', onEnd);
    };
    socket.on('data', onData);
    socket.once('error', onEnd);
    socket.once('close', onEnd);
  });
}

async function negotiateTls(socket: net.Socket, login: UpstreamLogin): Promise<{ socket: net.Socket; tls: boolean }> {
  const mode = login.tls.mode;
  if (mode === 'disable') return { socket, tls: false };
  socket.write(serialize.requestSsl());
  const answer = await readOneByte(socket);
  if (answer === 0x4e /* N */) {
    if (mode === 'prefer') return { socket, tls: false };
    socket.destroy();
    throw new UpstreamLoginError(`upstream ${login.host}:${login.port} does not offer TLS but tls.mode is ${mode}`);
  }
  if (answer !== 0x53 /* S */) {
    socket.destroy();
    throw new UpstreamLoginError('unexpected reply to SSLRequest');
  }
  const serverName = login.tls.serverName ?? login.host;
  const options: tls.ConnectionOptions = {
    socket,
    ca: login.tls.ca,
    rejectUnauthorized: mode === 'verify-ca' || mode === 'verify-full',
  };
  // SNI takes host names only; verify-full checks the certificate against serverName (or the host).
  if (!net.isIP(serverName)) options.servername = serverName;
  if (mode === 'verify-full') {
    options.checkServerIdentity = (_host, cert) => tls.checkServerIdentity(serverName, cert);
  } else {
    // verify-ca trusts the chain but not the name, as libpq does; require/prefer verify nothing.
    options.checkServerIdentity = () => undefined;
  }
  socket.pause(); // stop flowing before TLS takes the socket over
  const secure = tls.connect(options);
  await new Promise<void>((resolve, reject) => {
    secure.once('secureConnect', resolve);
    secure.once('error', (err) => reject(new UpstreamLoginError(`TLS to upstream failed: ${err.message}`)));
  });
  secure.removeAllListeners('error');
  return { socket: secure, tls: true };
}

/** Runs the authentication exchange until ReadyForQuery. */
function authenticate(socket: net.Socket, login: UpstreamLogin, timeoutMs: number): Promise<Omit<UpstreamConnection, 'socket' | 'tls'>> {
  return new Promise((resolve, reject) => {
    const parser = new Parser();
    const parameters = new Map<string, string>();
    let processId = 0;
    let secretKey = 0;
    let scram: ScramClient | undefined;
    const fail = (err: Error) => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const needPassword = (): string => {
      if (login.password === undefined) throw new UpstreamLoginError('upstream asks for a password but the role has none configured');
      return login.password;
    };
    const onMessage = (msg: BackendMessage) => {
      switch (msg.name) {
        case 'authenticationOk':
          return;
        case 'authenticationCleartextPassword':
          socket.write(serialize.password(needPassword()));
          return;
        case 'authenticationMD5Password':
          socket.write(serialize.password(md5PasswordResponse(login.user, needPassword(), (msg as unknown as { salt: Buffer }).salt)));
          return;
        case 'authenticationSASL': {
          const mechanisms = (msg as unknown as { mechanisms: string[] }).mechanisms;
          if (!mechanisms.includes(SCRAM_MECHANISM)) throw new UpstreamLoginError(`upstream offers no supported SASL mechanism (${mechanisms.join(', ')})`);
          scram = new ScramClient(needPassword());
          socket.write(serialize.sendSASLInitialResponseMessage(SCRAM_MECHANISM, scram.clientFirst()));
          return;
        }
        case 'authenticationSASLContinue':
          if (!scram) throw new UpstreamLoginError('SASL continue without SASL start');
          socket.write(serialize.sendSCRAMClientFinalMessage(scram.clientFinal((msg as unknown as { data: string }).data)));
          return;
        case 'authenticationSASLFinal':
          if (!scram) throw new UpstreamLoginError('SASL final without SASL start');
          scram.verifyServerFinal((msg as unknown as { data: string }).data);
          return;
        case 'parameterStatus': {
          const p = msg as unknown as { parameterName: string; parameterValue: string };
          parameters.set(p.parameterName, p.parameterValue);
          return;
        }
        case 'backendKeyData': {
          const k = msg as unknown as { processID: number; secretKey: number };
          processId = k.processID;
          secretKey = k.secretKey;
          return;
        }
        case 'readyForQuery':
          cleanup();
          resolve({ processId, secretKey, parameters });
          return;
        case 'error': {
          const e = msg as DatabaseError;
          throw new UpstreamLoginError(`upstream refused the login: ${e.message}`, e.code, e.message);
        }
        case 'notice':
          return;
        default:
          throw new UpstreamLoginError(`unexpected ${msg.name} during upstream login`);
      }
    };
    const onData = (chunk: Buffer) => {
      try {
        parser.parse(chunk, onMessage);
      } catch (err) {
        fail(err instanceof Error ? err : new Error(String(err)));
      }
    };
    const onClose = () => fail(new UpstreamLoginError('upstream closed the connection during login'));
    const onError = (err: Error) => fail(new UpstreamLoginError(`upstream connection failed during login: ${err.message}`));
    const timer = setTimeout(() => fail(new UpstreamLoginError(`upstream login timed out after ${timeoutMs} ms`)), timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
    };
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', onError);
    socket.resume();
    socket.write(serialize.startup({ ...login.params, user: login.user, database: login.database }));
  });
}

export async function connectUpstream(login: UpstreamLogin): Promise<UpstreamConnection> {
  const raw = await openSocket(login);
  raw.on('error', () => undefined); // errors surface through the steps below
  const { socket, tls: encrypted } = await negotiateTls(raw, login);
  const session = await authenticate(socket, login, login.connectTimeoutMs);
  return { socket, tls: encrypted, ...session };
}

/** Sends a CancelRequest for a backend on a fresh connection (PostgreSQL docs, "Canceling Requests in Progress"). */
export async function sendCancel(login: Pick<UpstreamLogin, 'host' | 'port' | 'connectTimeoutMs'>, processId: number, secretKey: number): Promise<void> {
  const socket = await openSocket({ ...login, database: '', user: '', tls: { mode: 'disable' }, params: {} });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => {
    socket.end(serialize.cancel(processId, secretKey), () => resolve());
    socket.once('close', () => resolve());
  });
  socket.destroy();
}
