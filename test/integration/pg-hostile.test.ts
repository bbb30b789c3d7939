// Hostile and malformed input: each gets a clear error, none crashes the gateway or
// allocates what a length claims.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { run, startGateway, type TestGateway } from './harness.js';

let gw: TestGateway;
let token: string;

beforeAll(async () => {
  gw = await startGateway();
  token = await gw.token('dba-1', ['dba']);
});
afterAll(async () => gw?.stop());

/** Sends bytes on a fresh connection and collects what the gateway answers until it closes. */
function exchange(chunks: Buffer[], waitMs = 1500): Promise<Buffer> {
  return new Promise((resolve) => {
    const s = net.connect(gw.port, '127.0.0.1');
    const got: Buffer[] = [];
    s.on('data', (d) => got.push(d));
    s.on('connect', () => chunks.forEach((c) => s.write(c)));
    const done = () => resolve(Buffer.concat(got));
    s.on('close', done);
    s.on('error', done);
    setTimeout(() => s.destroy(), waitMs);
  });
}

function startupPacket(params: Record<string, string>): Buffer {
  const body = Buffer.from(Object.entries(params).map(([k, v]) => `${k}\0${v}\0`).join('') + '\0');
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + body.length);
  head.writeInt32BE(196608, 4);
  return Buffer.concat([head, body]);
}

function typed(code: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = code.charCodeAt(0);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

async function stillServes(): Promise<void> {
  const r = await run('psql', ['-X', '-U', 'dba-1', '-tAc', 'select 42'], { env: gw.libpqEnv(token) });
  expect(r.stdout.trim()).toBe('42');
}

describe('malformed input', () => {
  it('answers a startup packet claiming 1 GiB with an error, without holding it', async () => {
    const reply = await exchange([Buffer.from([0x40, 0, 0, 0, 0, 3, 0, 0])]);
    expect(reply[0]).toBe(0x45); // ErrorResponse
    expect(reply.toString('latin1')).toMatch(/exceeds the limit/);
    await stillServes();
  });

  it('answers garbage with a protocol error', async () => {
    const reply = await exchange([Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')]);
    expect(reply.toString('latin1')).toMatch(/exceeds the limit|invalid|unsupported/);
    await stillServes();
  });

  it('refuses an old protocol version clearly', async () => {
    const v2 = Buffer.from([0, 0, 0, 8, 0, 2, 0, 0]);
    const reply = await exchange([v2]);
    expect(reply.toString('latin1')).toMatch(/unsupported frontend protocol 2\.0/);
  });

  it('answers GSSENCRequest with N and then serves the startup on the same connection', async () => {
    const gss = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30]);
    const reply = await exchange([gss, startupPacket({ user: 'dba-1', database: 'test' })]);
    expect(reply[0]).toBe(0x4e); // 'N'
    expect(reply[1]).toBe(0x52); // AuthenticationCleartextPassword follows
  });

  it('refuses a message after login that claims more than the limit, and the gateway lives on', async () => {
    const pw = typed('p', Buffer.from(token + '\0'));
    const huge = Buffer.from([0x51, 0x7f, 0xff, 0xff, 0xff]);
    const reply = await exchange([startupPacket({ user: 'dba-1', database: 'test' }), pw, huge], 2500);
    expect(reply.toString('latin1')).toMatch(/exceeds the limit/);
    await stillServes();
  });

  it('refuses an unknown message type after login', async () => {
    const pw = typed('p', Buffer.from(token + '\0'));
    const reply = await exchange([startupPacket({ user: 'dba-1', database: 'test' }), pw, typed('!', Buffer.alloc(0))], 2500);
    expect(reply.toString('latin1')).toMatch(/unknown frontend message type/);
  });

  it('refuses a second message in place of the password', async () => {
    const reply = await exchange([startupPacket({ user: 'dba-1', database: 'test' }), typed('Q', Buffer.from('select 1\0'))]);
    expect(reply.toString('latin1')).toMatch(/expected a password message/);
  });

  it('closes a client that never finishes its startup, with an error', async () => {
    const reply = await exchange([Buffer.from([0, 0])], 12_000);
    expect(reply.toString('latin1')).toMatch(/startup did not complete in time/);
  }, 20_000);

  it('refuses replication connections', async () => {
    const reply = await exchange([startupPacket({ user: 'dba-1', database: 'test', replication: 'database' })]);
    expect(reply.toString('latin1')).toMatch(/replication connections are not supported/);
  });
});

describe('the database goes away', () => {
  it('tells the client when its backend is terminated, and serves new sessions', async () => {
    const { default: pg } = await import('pg');
    const { direct } = await import('./harness.js');
    const c = new pg.Client({ host: '127.0.0.1', port: gw.port, user: 'dba-1', password: token, database: 'test', application_name: 'sqlveil-terminate-it' });
    const errors: Error[] = [];
    c.on('error', (e) => errors.push(e));
    await c.connect();
    await direct("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'sqlveil-terminate-it'");
    const failed = await c.query('select 1').then(() => undefined, (e: Error) => e);
    await c.end().catch(() => undefined);
    const said = [failed, ...errors].map((e) => e?.message ?? '').join(' ');
    expect(said).toMatch(/terminating connection due to administrator command|closed the connection|Connection terminated/);
    await stillServes();
  });
});

describe('startup settings that would change what the gateway decides on', () => {
  const psqlWith = (env: Record<string, string>, sql: string) => run('psql', ['-X', '-U', 'dba-1', '-tAc', sql], { env: { ...gw.libpqEnv(token), ...env } });

  it.each([
    ['-c standard_conforming_strings=off'],
    ['-c role=pg_read_server_files'],
    ['--session_authorization=postgres'],
    ['-c client_encoding=SJIS'],
  ])('refuses PGOPTIONS=%s with a clear error', async (options) => {
    const r = await psqlWith({ PGOPTIONS: options }, 'select 1');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/not allowed through sqlveil/);
    await stillServes();
  });

  it('refuses a non-UTF-8 client encoding', async () => {
    const r = await psqlWith({ PGCLIENTENCODING: 'LATIN1' }, 'select 1');
    expect(r.stderr).toMatch(/client_encoding=LATIN1 is not allowed/);
  });

  it('starts the analysis from a search_path set at startup', async () => {
    const dba = await gw.token('dba-1', ['dba']);
    const r = await run('psql', ['-X', '-U', 'dba-1', '-tAc', 'select count(*) from clinics'], {
      env: { ...gw.libpqEnv(dba), PGOPTIONS: '-c search_path=clinic' },
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('2');
    // A restricted role may not choose its search_path (policy.roles.agent.settings.allow).
    const agent = await gw.token('agent-1', ['agents']);
    const denied = await run('psql', ['-X', '-U', 'agent-1', '-tAc', 'select rolpassword from pg_authid'], {
      env: { ...gw.libpqEnv(agent), PGOPTIONS: '-c search_path=clinic' },
    });
    expect(denied.stderr).toMatch(/FATAL: .*setting search_path is not allowed for role agent/);
  });
});
