// Node drivers through the gateway: pg (text and binary results, prepared statements) and
// postgres (pipelining, cancel); a client killed mid-result frees its upstream connection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import postgres from 'postgres';
import net from 'node:net';
import { direct, loadClinicFixture, PG, startGateway, type TestGateway } from './harness.js';

let gw: TestGateway;
let token: string;

const pgClient = (extra: Partial<pg.ClientConfig> = {}) =>
  new pg.Client({ host: '127.0.0.1', port: gw.port, user: 'dba-1', password: token, database: PG.database, ...extra });

beforeAll(async () => {
  await loadClinicFixture();
  gw = await startGateway();
  token = await gw.token('dba-1', ['dba']);
});
afterAll(async () => gw?.stop());

describe('node pg', () => {
  it('runs simple and parameterised queries', async () => {
    const c = pgClient();
    await c.connect();
    try {
      expect((await c.query('select count(*)::int as n from clinic.patients')).rows[0].n).toBe(5);
      const r = await c.query('select full_name from clinic.patients where id = $1', [3]);
      expect(r.rows[0].full_name).toBe('Chen Liwei');
      // A named prepared statement, executed again without a new Parse.
      for (let id = 1; id <= 4; id++) {
        const n = await c.query({ name: 'by-id', text: 'select id, balance_cents from clinic.patients where id = $1', values: [id] });
        expect(n.rows[0].id).toBe(id);
      }
    } finally {
      await c.end();
    }
  });

  it('receives binary results byte for byte as the database sends them', async () => {
    const query = 'select 42::int4 as i, 12345678901::int8 as b, 1.5::float8 as f, true as t, $1::text as s, now()::date - date \'2020-01-01\' as d';
    const viaGateway = pgClient({ binary: true } as Partial<pg.ClientConfig>);
    const straight = new pg.Client({ host: PG.host, port: PG.port, user: PG.user, database: PG.database, binary: true } as pg.ClientConfig);
    await viaGateway.connect();
    await straight.connect();
    try {
      const a = await viaGateway.query(query, ['héllo']);
      const b = await straight.query(query, ['héllo']);
      expect(a.fields.every((f) => f.format === 'binary')).toBe(true);
      expect(a.rows).toEqual(b.rows);
      expect(a.rows[0]).toMatchObject({ i: 42, t: true, s: 'héllo' });
    } finally {
      await viaGateway.end();
      await straight.end();
    }
  });

  it('reports errors in the extended protocol and keeps the connection usable', async () => {
    const c = pgClient();
    await c.connect();
    try {
      await expect(c.query('select $1::int / 0', [1])).rejects.toThrow(/division by zero/);
      await expect(c.query('select * from no_such_table where id = $1', [1])).rejects.toThrow(/does not exist/);
      expect((await c.query('select $1::int + 1 as n', [41])).rows[0].n).toBe(42);
    } finally {
      await c.end();
    }
  });

  it('frees the upstream connection when a client is killed mid-result', async () => {
    const marker = `sqlveil-kill-${Date.now()}`;
    const socket = await rawLoginAndQuery(marker, 'select g, repeat(md5(g::text), 20) from generate_series(1, 5000000) g');
    // Wait until the upstream backend is running the query, then kill the client.
    await waitFor(async () => (await direct(`select count(*) from pg_stat_activity where application_name = '${marker}' and state = 'active'`)) === '1');
    socket.destroy();
    await waitFor(async () => (await direct(`select count(*) from pg_stat_activity where application_name = '${marker}'`)) === '0', 10_000);
  });
});

describe('postgres (porsager)', () => {
  it('pipelines many queries on one connection and keeps their order', async () => {
    const sql = postgres({ host: '127.0.0.1', port: gw.port, user: 'dba-1', password: token, database: PG.database, max: 1, prepare: true });
    try {
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => sql`select ${i}::int as i, ${'x'.repeat(i)} as pad`));
      results.forEach((r, i) => expect(r[0]!.i).toBe(i));
      const rows = await sql`select id, mrn from clinic.patients order by id`;
      expect(rows.map((r) => r.mrn)).toEqual(['MRN-000001', 'MRN-000002', 'MRN-000003', 'MRN-000004', 'MRN-000005']);
    } finally {
      await sql.end();
    }
  });

  it('cancels a running query through the gateway', async () => {
    const sql = postgres({ host: '127.0.0.1', port: gw.port, user: 'dba-1', password: token, database: PG.database, max: 1 });
    try {
      const q = sql`select pg_sleep(30)`;
      const started = Date.now();
      setTimeout(() => q.cancel(), 500);
      await expect(q).rejects.toThrow(/canceling statement due to user request/);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect((await sql`select 1 as one`)[0]!.one).toBe(1);
    } finally {
      await sql.end();
    }
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not met in time');
}

/** Logs in with a raw socket (a client that will vanish without a Terminate) and starts a query. */
async function rawLoginAndQuery(applicationName: string, sql: string): Promise<net.Socket> {
  const socket = net.connect(gw.port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  const params = Buffer.from(`user\0dba-1\0database\0${PG.database}\0application_name\0${applicationName}\0\0`);
  const startup = Buffer.alloc(8);
  startup.writeInt32BE(8 + params.length);
  startup.writeInt32BE(196608, 4);
  socket.write(Buffer.concat([startup, params]));
  await new Promise((r) => socket.once('data', r)); // AuthenticationCleartextPassword
  const pw = Buffer.from(token + '\0');
  const pwMsg = Buffer.alloc(5);
  pwMsg[0] = 0x70;
  pwMsg.writeInt32BE(4 + pw.length, 1);
  socket.write(Buffer.concat([pwMsg, pw]));
  await new Promise((r) => socket.once('data', r)); // AuthenticationOk ... ReadyForQuery
  const q = Buffer.from(sql + '\0');
  const qMsg = Buffer.alloc(5);
  qMsg[0] = 0x51;
  qMsg.writeInt32BE(4 + q.length, 1);
  socket.pause(); // read nothing: the gateway must apply backpressure, not buffer the result
  socket.write(Buffer.concat([qMsg, q]));
  return socket;
}
