// Identity at the door of the MySQL listener: only a valid token gets a session, sent in clear
// only over TLS (or from loopback when allowed); upstream, the role's own service login.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import mysql from 'mysql2/promise';
import { Capability } from '../../protocols/mysql/constants.js';
import { PacketReader } from '../../protocols/mysql/packet-reader.js';
import { PacketWriter } from '../../protocols/mysql/packet-writer.js';
import { writeHandshakeResponse, writeSslRequest } from '../../protocols/mysql/handshake.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDevKey, mintDevToken } from '../../src/identity/dev-keys.js';
import { ISSUER, ROOT, run } from './harness.js';
import { myDirect, startMysqlGateway, type MysqlTestGateway } from './mysql-harness.js';

const NATIVE_USER = 'sqlveil_it_native';
const NATIVE_PASSWORD = `pw-${process.pid}-${Date.now()}`;
let gw: MysqlTestGateway;

const login = (token: string, user = 'agent-1') => gw.mariadb(token, ['-N', '-e', 'select current_user()'], { user });

beforeAll(async () => {
  await myDirect(`drop user if exists '${NATIVE_USER}'@'127.0.0.1'`);
  await myDirect(`create user '${NATIVE_USER}'@'127.0.0.1' identified via mysql_native_password using password('${NATIVE_PASSWORD}')`);
  await myDirect(`grant select on clinic.* to '${NATIVE_USER}'@'127.0.0.1'`);
  gw = await startMysqlGateway({ env: { MYSQL_NATIVE_USER: NATIVE_USER, MYSQL_NATIVE_PASSWORD: NATIVE_PASSWORD } });
});
afterAll(async () => {
  await gw?.stop();
  await myDirect(`drop user if exists '${NATIVE_USER}'@'127.0.0.1'`);
});

describe('MySQL login with a token', () => {
  it('accepts a valid token and logs in upstream as the service user, not the caller', async () => {
    const r = await login(await gw.token('agent-1', ['agents']));
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^root@(127\.0\.0\.1|localhost)$/m);
  });

  it('logs a role in with its own credentials (mysql_native_password with a password)', async () => {
    const r = await gw.mariadb(await gw.token('svc-1', ['native']), ['-N', '-e', 'select current_user(); select count(*) from clinics'], { user: 'svc-1' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`${NATIVE_USER}@127.0.0.1\n2\n`);
  });

  it('refuses a password that is not a token', async () => {
    const r = await login('not-a-token');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/ERROR 1045 \(28000\).*sqlveil: .*JWT/);
  });

  it('refuses an expired token, saying so', async () => {
    const t = await mintDevToken({ privateJwk: gw.key.privateJwk, subject: 'agent-1', groups: ['agents'], ttl: '1s', issuer: ISSUER, audience: 'sqlveil', now: () => Date.now() - 3_600_000 });
    const r = await login(t);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/ERROR 1045.*expired/);
  });

  it('refuses a forged token and never echoes it', async () => {
    const other = await generateDevKey('ES256');
    const forged = await mintDevToken({ privateJwk: { ...other.privateJwk, kid: gw.key.privateJwk.kid }, subject: 'agent-1', groups: ['dba'], ttl: '5m', issuer: ISSUER, audience: 'sqlveil' });
    const r = await login(forged);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/ERROR 1045/);
    expect(r.stderr).not.toContain(forged);
  });

  it('refuses a user name that is not the token subject', async () => {
    const r = await login(await gw.token('agent-1', ['agents']), 'dba-1');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/does not match the token subject/);
  });

  it('refuses an empty password', async () => {
    const r = await gw.mariadb('', ['-N', '-e', 'select 1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/ERROR 1045/);
  });

  it('hides why the upstream refused the service login', async () => {
    const bad = await startMysqlGateway({ env: { MYSQL_NATIVE_USER: NATIVE_USER, MYSQL_NATIVE_PASSWORD: 'wrong' } });
    try {
      const r = await bad.mariadb(await bad.token('svc-1', ['native']), ['-e', 'select 1'], { user: 'svc-1' });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/sqlveil: upstream connection failed \(hint/);
      expect(r.stderr).not.toContain(NATIVE_USER);
    } finally {
      await bad.stop();
    }
  });

  it('ends the session when its token expires, with an error saying so', async () => {
    const token = await gw.token('agent-1', ['agents'], '2s');
    const c = await mysql.createConnection({ host: '127.0.0.1', port: gw.myPort, user: 'agent-1', password: token, database: 'clinic', authPlugins: { mysql_clear_password: () => () => Buffer.from(token + '\0') } });
    const ended = new Promise<Error>((resolve) => c.on('error', resolve));
    expect((await c.query<mysql.RowDataPacket[]>('select 1 n'))[0][0]!.n).toBe(1);
    expect((await ended).message).toMatch(/session token has expired/);
    c.destroy();
  });

  it('passes an unknown database error through', async () => {
    const r = await gw.mariadb(await gw.token('agent-1', ['agents']), ['-e', 'select 1'], { user: 'agent-1', database: 'no_such_db' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Unknown database 'no_such_db'/);
  });
});

describe('MySQL listener with TLS', () => {
  let tlsGw: MysqlTestGateway;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sqlveil-my-tls-'));
    const made = await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
    if (made.code !== 0) throw new Error(made.stderr);
    tlsGw = await startMysqlGateway({ rules: join(ROOT, 'test/fixtures/rules/mysql-tls.yaml'), env: { SQLVEIL_TLS_CERT: join(dir, 'cert.pem'), SQLVEIL_TLS_KEY: join(dir, 'key.pem') } });
  });
  afterAll(async () => {
    await tlsGw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes the token over TLS', async () => {
    const t = await tlsGw.token('agent-1', ['agents']);
    const r = await tlsGw.mariadb(t, ['--ssl', '--ssl-verify-server-cert=0', '-N', '-e', "select 'over tls'"], { user: 'agent-1' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('over tls');
  });

  it('starts TLS from a ClientHello sent in the same segment as the SSL request', async () => {
    const token = await tlsGw.token('agent-1', ['agents']);
    const raw = net.connect({ host: '127.0.0.1', port: tlsGw.myPort });
    const reader = new PacketReader(1 << 20);
    const next = (s: net.Socket) =>
      new Promise<Buffer>((resolve) => {
        const onData = (chunk: Buffer) => {
          reader.push(chunk);
          if (reader.next()) {
            s.off('data', onData);
            resolve(Buffer.from(reader.buf.subarray(reader.start, reader.end)));
          }
        };
        s.on('data', onData);
      });
    await next(raw); // the server's handshake
    const w = new PacketWriter();
    const caps = Capability.PROTOCOL_41 | Capability.SECURE_CONNECTION | Capability.PLUGIN_AUTH | Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA | Capability.SSL | Capability.CONNECT_WITH_DB;
    writeSslRequest(w, 1, caps, 45);
    // Cork: the SSL request and the ClientHello leave in one write.
    raw.cork();
    raw.write(w.take());
    const secure = tls.connect({ socket: raw, rejectUnauthorized: false });
    setImmediate(() => raw.uncork());
    await new Promise((r) => secure.once('secureConnect', r));
    writeHandshakeResponse(w, 2, { capabilities: caps, collation: 45, user: 'agent-1', authResponse: Buffer.from(token + '\0'), database: 'clinic', authPlugin: 'mysql_clear_password', attributes: new Map() });
    secure.write(w.take());
    const reply = await next(secure);
    expect(reply[0]).toBe(0x00); // OK: logged in over TLS
    secure.destroy();
  });

  it('refuses the token without TLS, saying how to connect', async () => {
    const t = await tlsGw.token('agent-1', ['agents']);
    const r = await tlsGw.mariadb(t, ['--skip-ssl', '-e', 'select 1'], { user: 'agent-1' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/sqlveil accepts a token only over TLS/);
  });
});
