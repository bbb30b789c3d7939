// The gateway as a MySQL client, against a scripted server on loopback: caching_sha2_password
// fast and full authentication (RSA key exchange, or cleartext over TLS), auth switch to
// mysql_native_password, and refusals. The local MariaDB has no caching_sha2_password.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import tls from 'node:tls';
import { generateKeyPairSync, privateDecrypt, constants } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { Capability } from '../../../protocols/mysql/constants.js';
import { PacketReader } from '../../../protocols/mysql/packet-reader.js';
import { prefixedStream } from '../../../protocols/mysql/prefixed-stream.js';
import { PacketWriter } from '../../../protocols/mysql/packet-writer.js';
import { readHandshakeResponse, writeAuthSwitch, writeHandshakeV10 } from '../../../protocols/mysql/handshake.js';
import { writeErr, writeOk } from '../../../protocols/mysql/generic-packets.js';
import { cachingSha2Response, nativePasswordResponse } from '../../../protocols/mysql/auth-scramble.js';
import { connectMysqlUpstream, MysqlUpstreamError, type MysqlUpstreamLogin } from '../../../protocols/mysql/upstream-login.js';

const PASSWORD = 'service-secret';
const SCRAMBLE = Buffer.from('0123456789abcdefghij');
const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
let certDir: string;
let cert: { cert: Buffer; key: Buffer };

type Mode = 'fast' | 'full-rsa' | 'full-tls' | 'switch-native' | 'refuse';

/** Reads packets from a socket one at a time. */
class Packets {
  private readonly reader = new PacketReader(1 << 20);
  private readonly queue: { seq: number; payload: Buffer }[] = [];
  private wake: (() => void) | undefined;
  /** Frame only the first packet (an SSL request: TLS bytes follow it). */
  constructor(socket: net.Socket, private readonly onlyFirst = false) {
    socket.on('data', (chunk: Buffer) => {
      this.reader.push(chunk);
      while (!(this.onlyFirst && this.queue.length > 0) && this.reader.next()) this.queue.push({ seq: this.reader.seq, payload: Buffer.from(this.reader.buf.subarray(this.reader.start, this.reader.end)) });
      this.wake?.();
    });
  }
  /** Bytes read but not yet framed. */
  rest(): Buffer {
    return Buffer.from(this.reader.takeRest());
  }
  async next(): Promise<{ seq: number; payload: Buffer }> {
    while (this.queue.length === 0) await new Promise<void>((r) => (this.wake = r));
    return this.queue.shift()!;
  }
}

/** A server that logs the client in the way `mode` says, checking every answer; resolves with what it saw. */
function scriptedServer(mode: Mode): Promise<{ port: number; done: Promise<string[]> }> {
  return new Promise((resolve) => {
    let finish: (steps: string[]) => void;
    const done = new Promise<string[]>((r) => (finish = r));
    const server = net.createServer(async (raw) => {
      const steps: string[] = [];
      const w = new PacketWriter();
      let socket: net.Socket = raw;
      const send = (seq: number, build: (w: PacketWriter) => void) => {
        w.begin(seq);
        build(w);
        w.end();
        socket.write(w.take());
      };
      const caps = Capability.PROTOCOL_41 | Capability.SECURE_CONNECTION | Capability.PLUGIN_AUTH | Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA | Capability.CONNECT_ATTRS | Capability.CONNECT_WITH_DB | Capability.DEPRECATE_EOF | Capability.MULTI_RESULTS | (mode === 'full-tls' ? Capability.SSL : 0);
      writeHandshakeV10(w, { serverVersion: '8.0.36', connectionId: 99, scramble: SCRAMBLE, capabilities: caps, collation: 255, status: 2, authPlugin: 'caching_sha2_password' });
      raw.write(w.take());
      let packets = new Packets(raw, mode === 'full-tls');
      let p = await packets.next();
      if (mode === 'full-tls') {
        expect(readHandshakeResponse(p.payload, 0, p.payload.length).sslRequest).toBe(true);
        steps.push('ssl');
        raw.removeAllListeners('data');
        // The client sends its ClientHello without waiting: replay what was read past the request.
        socket = new tls.TLSSocket(prefixedStream(raw, packets.rest()) as net.Socket, { isServer: true, secureContext: tls.createSecureContext(cert) });
        packets = new Packets(socket);
        p = await packets.next();
      }
      const hello = readHandshakeResponse(p.payload, 0, p.payload.length);
      steps.push(`login ${hello.user} ${hello.authPlugin} db=${hello.database}`);
      expect(hello.authResponse.equals(cachingSha2Response(PASSWORD, SCRAMBLE))).toBe(true);
      let seq = p.seq + 1;
      if (mode === 'refuse') {
        writeErr(w, seq, { errno: 1045, sqlState: '28000', message: "Access denied for user 'svc'" });
        socket.write(w.take());
        return finish(steps);
      }
      if (mode === 'switch-native') {
        const fresh = Buffer.from('ABCDEFGHIJKLMNOPQRST');
        writeAuthSwitch(w, seq, 'mysql_native_password', Buffer.concat([fresh, Buffer.from([0])]));
        socket.write(w.take());
        const answer = await packets.next();
        expect(answer.payload.equals(nativePasswordResponse(PASSWORD, fresh))).toBe(true);
        steps.push('native');
        seq = answer.seq + 1;
      } else if (mode === 'fast') {
        send(seq++, (x) => x.int1(0x01).int1(0x03));
        steps.push('fast');
      } else {
        send(seq, (x) => x.int1(0x01).int1(0x04));
        let answer = await packets.next();
        if (mode === 'full-rsa') {
          expect([...answer.payload]).toEqual([0x02]); // asks for the public key
          send(answer.seq + 1, (x) => x.int1(0x01).string(publicKey));
          answer = await packets.next();
          const plain = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, answer.payload);
          const password = Buffer.from(plain.map((b, i) => b ^ SCRAMBLE[i % 20]!));
          expect(password.toString()).toBe(PASSWORD + '\0');
          steps.push('rsa');
        } else {
          expect(answer.payload.toString()).toBe(PASSWORD + '\0');
          steps.push('cleartext over tls');
        }
        seq = answer.seq + 1;
      }
      writeOk(w, seq, { status: 2 });
      socket.write(w.take());
      finish(steps);
    });
    server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as net.AddressInfo).port, done }));
    void done.then(() => setTimeout(() => server.close(), 100));
  });
}

function login(port: number, mode: MysqlUpstreamLogin['tls']['mode'] = 'disable'): MysqlUpstreamLogin {
  return {
    host: '127.0.0.1',
    port,
    user: 'svc',
    password: PASSWORD,
    database: 'clinic',
    tls: { mode },
    connectTimeoutMs: 3000,
    clientCapabilities: Capability.DEPRECATE_EOF | Capability.MULTI_RESULTS | Capability.MULTI_STATEMENTS,
    collation: 45,
    attributes: new Map([['program_name', 'test']]),
  };
}

beforeAll(() => {
  certDir = mkdtempSync(join(tmpdir(), 'sqlveil-my-cert-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem')], { stdio: 'ignore' });
  cert = { cert: readFileSync(join(certDir, 'cert.pem')), key: readFileSync(join(certDir, 'key.pem')) };
});
afterAll(() => rmSync(certDir, { recursive: true, force: true }));

describe('upstream login as a MySQL client', () => {
  it('caching_sha2_password fast authentication', async () => {
    const s = await scriptedServer('fast');
    const conn = await connectMysqlUpstream(login(s.port));
    expect(conn.threadId).toBe(99);
    expect(conn.capabilities & Capability.DEPRECATE_EOF).toBeTruthy();
    expect(conn.capabilities & Capability.MULTI_STATEMENTS).toBe(0); // the server does not offer it
    expect(await s.done).toEqual(['login svc caching_sha2_password db=clinic', 'fast']);
    conn.socket.destroy();
  });

  it('caching_sha2_password full authentication with the server RSA key', async () => {
    const s = await scriptedServer('full-rsa');
    const conn = await connectMysqlUpstream(login(s.port));
    expect(await s.done).toEqual(['login svc caching_sha2_password db=clinic', 'rsa']);
    expect(conn.tls).toBe(false);
    conn.socket.destroy();
  });

  it('caching_sha2_password full authentication in cleartext over TLS', async () => {
    const s = await scriptedServer('full-tls');
    const conn = await connectMysqlUpstream(login(s.port, 'require'));
    expect(await s.done).toEqual(['ssl', 'login svc caching_sha2_password db=clinic', 'cleartext over tls']);
    expect(conn.tls).toBe(true);
    conn.socket.destroy();
  });

  it('follows an auth switch to mysql_native_password', async () => {
    const s = await scriptedServer('switch-native');
    const conn = await connectMysqlUpstream(login(s.port));
    expect(await s.done).toEqual(['login svc caching_sha2_password db=clinic', 'native']);
    conn.socket.destroy();
  });

  it('reports the server refusal with its error number', async () => {
    const s = await scriptedServer('refuse');
    const err = await connectMysqlUpstream(login(s.port)).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(MysqlUpstreamError);
    expect(err).toMatchObject({ errno: 1045, sqlState: '28000' });
  });

  it('refuses to go on without TLS when the mode requires it', async () => {
    const s = await scriptedServer('fast');
    await expect(connectMysqlUpstream(login(s.port, 'require'))).rejects.toThrow(/does not offer TLS but tls.mode is require/);
  });
});
