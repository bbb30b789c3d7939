// mysql2 through sqlveil: text and binary protocol, streaming, multiple statements, denials
// that leave the session usable, export limits cut on the stream, and what is refused.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import mysql from 'mysql2/promise';
import type { Connection as CoreConnection } from 'mysql2';
import { ALLOW, type SessionInfo } from '../../src/session/types.js';
import type { StatementGate } from '../../src/session/pipeline.js';
import { loadMysqlClinic, myDirect, startMysqlGateway, type MysqlTestGateway } from './mysql-harness.js';

/** The callback connection under a promise connection (streaming, events). */
const core = (c: mysql.Connection) => (c as unknown as { connection: CoreConnection }).connection;

const LIMIT = 100;
const seen: SessionInfo[] = [];
// Until the MySQL analyzer drives the rules file: role agent has a row limit and may not touch
// `patients`; anything naming `forbidden` is refused for everyone.
const gate: StatementGate = {
  decide: (session, req) => {
    if (!seen.includes(session)) seen.push(session);
    if (/forbidden/.test(req.sql)) return { action: 'deny', sqlState: '42501', rule: 'tables', message: 'sqlveil: table forbidden is not allowed for role ' + session.identity.role, hint: 'query clinics instead' };
    if (session.identity.role !== 'agent') return ALLOW;
    if (/patients/.test(req.sql)) return { action: 'deny', sqlState: '42501', rule: 'tables', message: 'sqlveil: patients is not allowed' };
    return { action: 'allow', maxRows: LIMIT };
  },
};

let gw: MysqlTestGateway;
let dba: string;
let agent: string;

function connect(token: string, user: string, extra: mysql.ConnectionOptions = {}) {
  return mysql.createConnection({
    host: '127.0.0.1',
    port: gw.myPort,
    user,
    password: token,
    database: 'clinic',
    authPlugins: { mysql_clear_password: () => () => Buffer.from(token + '\0') },
    ...extra,
  });
}

beforeAll(async () => {
  await loadMysqlClinic();
  gw = await startMysqlGateway({ gate });
  dba = await gw.token('dba-1', ['dba']);
  agent = await gw.token('agent-1', ['agents']);
});
afterAll(async () => gw?.stop());

describe('mysql2 through sqlveil', () => {
  it('runs query and execute (text and binary protocol), with NULLs and many types', async () => {
    const c = await connect(dba, 'dba-1');
    try {
      const [a] = await c.query<mysql.RowDataPacket[]>('select count(*) n from clinics');
      expect(a[0]!.n).toBe(2);
      const [b] = await c.execute<mysql.RowDataPacket[]>('select name from clinics where id = ?', [2]);
      expect(b[0]!.name).toBe('Lakeview Oncology');
      const [p] = await c.execute<mysql.RowDataPacket[]>('select id, ssn, dob, balance_cents, notes from patients where id in (?, ?) order by id', [4, 5]);
      expect(p).toEqual([
        { id: 4, ssn: '900-11-0004', dob: new Date(2001, 0, 30), balance_cents: 500, notes: null },
        { id: 5, ssn: null, dob: null, balance_cents: 0, notes: null },
      ]);
      const [t] = await c.execute<mysql.RowDataPacket[]>('select cast(? as decimal(10,2)) d, ? s, ? i, cast(? as double) f, x\'00ff\' b, cast(\'2026-01-05 09:00:00.5\' as datetime(1)) ts, cast(\'-01:02:03\' as time) tm', ['12.5', 'é', 7, 1.5]);
      expect(t[0]).toMatchObject({ d: '12.50', s: 'é', i: 7, f: 1.5, tm: '-01:02:03' });
      expect(t[0]!.b).toEqual(Buffer.from([0, 255]));
      // Executing again reuses the server-side prepared statement.
      for (let i = 1; i <= 2; i++) expect((await c.execute<mysql.RowDataPacket[]>('select name from clinics where id = ?', [i]))[0]).toHaveLength(1);
    } finally {
      await c.end();
    }
  });

  it('streams rows of a large result', async () => {
    const c = await connect(dba, 'dba-1');
    try {
      let n = 0;
      let last = 0;
      await new Promise<void>((resolve, reject) => {
        const s = core(c).query('select seq from seq_1_to_200000').stream();
        s.on('data', (row: { seq: number }) => {
          n++;
          last = row.seq;
        });
        s.on('end', resolve);
        s.on('error', reject);
      });
      expect(n).toBe(200000);
      expect(last).toBe(200000);
    } finally {
      await c.end();
    }
  });

  it('relays rows of 16 MiB and more (packets split at 0xffffff bytes and joined), text and binary', async () => {
    const c = await connect(dba, 'dba-1');
    try {
      // 16777211 bytes + a 4-byte length: a payload of exactly 0xffffff, then an empty packet.
      const [exact] = await c.query<mysql.RowDataPacket[]>("select repeat('x', 16777211) v, 7 n");
      expect(exact[0]!.v).toHaveLength(16777211);
      expect(exact[0]!.n).toBe(7);
      const [split] = await c.execute<mysql.RowDataPacket[]>("select repeat('y', 16777000) a, repeat('z', ?) b", [5000]);
      expect((split[0]!.a as string).length + (split[0]!.b as string).length).toBe(16782000);
      expect((split[0]!.b as string).endsWith('zzz')).toBe(true);
      expect((await c.query<mysql.RowDataPacket[]>('select 1 n'))[0][0]!.n).toBe(1);
    } finally {
      await c.end();
    }
  });

  it('runs multiple statements with multiple result sets', async () => {
    const c = await connect(dba, 'dba-1', { multipleStatements: true });
    try {
      const [r] = await c.query('select 1 a; select 2 b union select 3; set @x = 5; select @x x');
      expect(r).toEqual([[{ a: 1 }], [{ b: 2 }, { b: 3 }], expect.objectContaining({ affectedRows: 0 }), [{ x: 5 }]]);
    } finally {
      await c.end();
    }
  });

  it('refuses a denied statement with an ERR and keeps the session usable', async () => {
    const c = await connect(dba, 'dba-1');
    try {
      const err = await c.query('select * from forbidden').then(() => undefined, (e: { errno: number; sqlState: string; message: string }) => e);
      expect(err).toMatchObject({ errno: 1142, sqlState: '42501' });
      expect(err!.message).toMatch(/table forbidden is not allowed for role dba \(hint: query clinics instead\) \[rule: tables\]/);
      // A refused PREPARE is refused the same way; nothing can execute it.
      await expect(c.execute('select * from forbidden where id = ?', [1])).rejects.toMatchObject({ errno: 1142 });
      expect((await c.query<mysql.RowDataPacket[]>('select 7 n'))[0][0]!.n).toBe(7);
    } finally {
      await c.end();
    }
  });

  it('cuts a text result at the export limit with one error; the upstream query is stopped and the session goes on', async () => {
    const c = await connect(agent, 'agent-1');
    try {
      let rows = 0;
      const err = await new Promise<{ errno: number; message: string } | undefined>((resolve) => {
        const q = core(c).query('select seq from seq_1_to_5000000');
        q.on('result', () => rows++);
        q.on('error', (e: { errno: number; message: string }) => resolve(e));
        q.on('end', () => resolve(undefined));
      });
      expect(err?.message).toMatch(/result cut at 100 rows/);
      expect(err?.errno).toBe(1104);
      expect(rows).toBe(LIMIT);
      expect((await c.query<mysql.RowDataPacket[]>('select 8 n'))[0][0]!.n).toBe(8);
      expect(await myDirect("select count(*) from information_schema.processlist where info like 'select seq from seq_1_to_5000000%'")).toBe('0');
    } finally {
      await c.end();
    }
  });

  it('cuts a binary (prepared) result at the limit too, and allows exactly the limit', async () => {
    const c = await connect(agent, 'agent-1');
    try {
      await expect(c.execute('select seq from seq_1_to_1000 where seq > ?', [0])).rejects.toThrow(/result cut at 100 rows/);
      const [ok] = await c.execute<mysql.RowDataPacket[]>('select seq from seq_1_to_100 where seq > ?', [0]);
      expect(ok).toHaveLength(LIMIT);
      const [again] = await c.execute<mysql.RowDataPacket[]>('select seq from seq_1_to_1000 where seq = ?', [5]);
      expect(again).toEqual([{ seq: 5 }]);
    } finally {
      await c.end();
    }
  });

  it('keeps connection attributes (program name, trace ids) in the session record', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const c = await connect(dba, 'dba-1', { connectAttributes: { program_name: 'agent-runner', traceparent } });
    try {
      await c.query('select 1');
      const s = seen.find((x) => x.client.traceIds.traceparent === traceparent);
      expect(s?.client).toMatchObject({ protocol: 'mysql', applicationName: 'agent-runner', startupUser: 'dba-1', database: 'clinic', tls: false });
    } finally {
      await c.end();
    }
  });

  it('refuses COM_CHANGE_USER with a clear error', async () => {
    const c = await connect(dba, 'dba-1');
    try {
      await expect(c.changeUser({ user: 'root', password: '' })).rejects.toThrow(/COM_CHANGE_USER is not supported/);
    } finally {
      c.destroy();
    }
  });

  it('answers ping, reset connection and statistics', async () => {
    const c = await connect(dba, 'dba-1');
    try {
      await c.ping();
      await c.query('set @v = 1');
      await c.reset();
      expect((await c.query<mysql.RowDataPacket[]>('select @v v'))[0][0]!.v).toBeNull();
      expect((await c.execute<mysql.RowDataPacket[]>('select ? + 1 n', [1]))[0][0]!.n).toBe(2);
    } finally {
      await c.end();
    }
  });

  it('audits each run when it ends: rows of every result set, each execution of a prepared statement, the SQLSTATE of an error', async () => {
    const nonce = `a${Date.now().toString(36)}`;
    const c = await connect(dba, 'dba-1');
    try {
      await c.query(`select id as ${nonce}_q from clinics order by id`);
      for (const id of [1, 2]) await c.execute(`select name as ${nonce}_x from clinics where id <= ?`, [id]);
      await expect(c.query(`select ${nonce}_missing from clinics`)).rejects.toThrow(/Unknown column/);
    } finally {
      await c.end();
    }
    const mine = () =>
      readFileSync(join(gw.dir, 'audit.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((e) => e.type === 'statement' && String(e.sql).includes(nonce));
    await vi.waitFor(() => expect(mine()).toHaveLength(4), { timeout: 5000 });
    expect(mine().map((e) => [e.via, e.rows, e.sqlState, typeof e.durationMs])).toEqual([
      ['simple', 2, undefined, 'number'],
      ['execute', 1, undefined, 'number'],
      ['execute', 2, undefined, 'number'],
      ['simple', 0, '42S22', 'number'],
    ]);
  });
});
