// KILL through sqlveil: a second connection names the gateway's connection id and reaches the
// upstream thread behind it; ids that are not the caller's are refused; a client that goes away
// frees its upstream connection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import type { Connection as CoreConnection } from 'mysql2';
import { myDirect, startMysqlGateway, type MysqlTestGateway } from './mysql-harness.js';

/** The callback connection under a promise connection (streaming, events). */
const core = (c: mysql.Connection) => (c as unknown as { connection: CoreConnection }).connection;

let gw: MysqlTestGateway;
let dba: string;

function connect(token: string, user: string) {
  return mysql.createConnection({ host: '127.0.0.1', port: gw.myPort, user, password: token, database: 'clinic', authPlugins: { mysql_clear_password: () => () => Buffer.from(token + '\0') } });
}

async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const stop = Date.now() + ms;
  while (Date.now() < stop) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

const running = (marker: string) => myDirect(`select count(*) from information_schema.processlist where info like '%${marker}%' and info not like '%processlist%'`);

beforeAll(async () => {
  gw = await startMysqlGateway();
  dba = await gw.token('dba-1', ['dba']);
});
afterAll(async () => gw?.stop());

describe('KILL through sqlveil', () => {
  it('KILL QUERY from a second connection stops the right upstream query; both sessions go on', async () => {
    const a = await connect(dba, 'dba-1');
    const b = await connect(dba, 'dba-1');
    try {
      const started = Date.now();
      const slow = a.query('select sleep(20) /* kill-me-1 */').then(
        (r) => r,
        (e: Error) => e,
      );
      expect(await until(async () => (await running('kill-me-1')) === '1', 3000)).toBe(true);
      await b.query(`KILL QUERY ${a.threadId}`);
      await slow;
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(await running('kill-me-1')).toBe('0');
      expect((await a.query<mysql.RowDataPacket[]>('select 1 n'))[0][0]!.n).toBe(1);
      expect((await b.query<mysql.RowDataPacket[]>('select 2 n'))[0][0]!.n).toBe(2);
    } finally {
      await a.end();
      await b.end();
    }
  });

  it('refuses a KILL of another subject, of an unknown id, and of forms it cannot route', async () => {
    const a = await connect(dba, 'dba-1');
    const other = await connect(await gw.token('dba-2', ['dba']), 'dba-2');
    try {
      await expect(other.query(`KILL QUERY ${a.threadId}`)).rejects.toMatchObject({ errno: 1095 });
      await expect(other.query('KILL 999999')).rejects.toMatchObject({ errno: 1094 });
      await expect(other.query('KILL USER root')).rejects.toThrow(/KILL must be sent alone/);
      await expect(other.query('/* c */ kill query id 5')).rejects.toThrow(/KILL must be sent alone/);
      await expect(other.query("prepare s from 'kill user root'")).rejects.toThrow(/KILL must be sent alone/);
      await expect(other.execute(`KILL QUERY ${a.threadId}`)).rejects.toThrow(/KILL must be sent alone/);
      expect((await a.query<mysql.RowDataPacket[]>('select 3 n'))[0][0]!.n).toBe(3);
    } finally {
      await a.end();
      await other.end();
    }
  });

  it('KILL CONNECTION ends the named session', async () => {
    const a = await connect(dba, 'dba-1');
    const b = await connect(dba, 'dba-1');
    try {
      const closed = new Promise<void>((resolve) => core(a).once('error', () => resolve()).once('end', () => resolve()));
      await b.query(`KILL CONNECTION ${a.threadId}`);
      await closed;
      await expect(a.query('select 1')).rejects.toThrow();
    } finally {
      a.destroy();
      await b.end();
    }
  });

  it('frees the upstream connection and its running query when the client goes away', async () => {
    const before = Number(await myDirect("select count(*) from information_schema.processlist where user = 'root' and command <> 'Daemon'"));
    const a = await connect(dba, 'dba-1');
    void a.query('select sleep(30) /* orphan-2 */').catch(() => undefined);
    expect(await until(async () => (await running('orphan-2')) === '1', 3000)).toBe(true);
    a.destroy();
    expect(await until(async () => (await running('orphan-2')) === '0', 5000)).toBe(true);
    expect(await until(async () => Number(await myDirect("select count(*) from information_schema.processlist where user = 'root' and command <> 'Daemon'")) <= before, 5000)).toBe(true);
  });
});
