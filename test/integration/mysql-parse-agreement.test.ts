// Attack class: statements the gateway reads differently from the server (issue 13, sections 1
// and 2, MySQL; found by a red team). `BINARY x` parsed as a column named BINARY; a multi-byte
// client character set (gbk) in which a trailing byte is a backslash the gateway does not see;
// the optimizer trace, which prints row values; SET GLOBAL and account changes dressed as session
// statements. Every attempt: no raw identifier of the fixture in any encoding, nothing written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { ROOT } from './harness.js';
import { leaks, needlesFromRows, type Needle } from './leak-check.js';
import { loadMysqlClinic, myDirect, startMysqlGateway, type MysqlTestGateway } from './mysql-harness.js';

let gw: MysqlTestGateway;
let needles: Needle[];
let agent: string;
let before: string;

const checksum = () => myDirect('CHECKSUM TABLE clinic.patients, clinic.encounters, clinic.clinics');

function connect(options: Partial<mysql.ConnectionOptions> = {}) {
  return mysql.createConnection({
    host: '127.0.0.1', port: gw.myPort, user: 'agent-1', password: agent, database: 'clinic', multipleStatements: true,
    authPlugins: { mysql_clear_password: () => () => Buffer.from(agent + '\0') }, ...options,
  });
}

async function received(c: mysql.Connection, sql: string | Buffer, prepared = false): Promise<string> {
  try {
    const [rows] = prepared ? await c.execute(sql as string) : await c.query(sql as string);
    return JSON.stringify(rows);
  } catch (e) {
    return `ERR ${(e as Error).message}`;
  }
}

beforeAll(async () => {
  await loadMysqlClinic();
  const rows = await myDirect("SELECT CONCAT_WS('|', mrn, full_name, ssn, dob, email, phone, address) FROM patients WHERE ssn IS NOT NULL ORDER BY id", 'clinic');
  needles = needlesFromRows(rows.replaceAll('|', '\t'));
  gw = await startMysqlGateway({ rules: join(ROOT, 'rules/hipaa.yaml'), gate: undefined });
  agent = await gw.token('agent-1', ['agents']);
  before = await checksum();
});
afterAll(async () => {
  await gw?.stop();
  await myDirect('DROP TABLE IF EXISTS clinic.rt_ddl');
});

describe('the gateway decides on the statement the server runs', () => {
  it.each([false, true])('BINARY x is refused, not read as a column named BINARY (prepared: %s)', async (prepared) => {
    const c = await connect();
    const got = await received(c, 'SELECT BINARY ssn, BINARY address, BINARY email, BINARY full_name FROM patients WHERE id < 3 LIMIT 5', prepared);
    expect(got).toMatch(/^ERR /);
    expect(leaks(got, needles)).toEqual([]);
    expect(await received(c, 'SELECT CAST(ssn AS BINARY) AS s FROM patients WHERE id = 1 LIMIT 1')).not.toMatch(/900-/);
    await c.end();
  });

  it('a gbk client character set is refused at login: its backslash bytes would end a string the gateway sees go on', async () => {
    const c = await connect({ charset: 'GBK_CHINESE_CI' }).then(
      (conn) => conn,
      (err: Error) => err,
    );
    expect(c).toBeInstanceOf(Error);
    expect((c as Error).message).toMatch(/character set .* is not supported: connect with utf8mb4/);
  });

  it('latin1 and utf8 clients still connect', async () => {
    for (const charset of ['LATIN1_SWEDISH_CI', 'UTF8_GENERAL_CI', 'UTF8MB4_UNICODE_CI']) {
      const c = await connect({ charset });
      expect(await received(c, 'SELECT 1 AS ok')).toBe('[{"ok":1}]');
      await c.end();
    }
  });
});

describe('server state an agent cannot reach', () => {
  it('the optimizer trace is refused: it prints the values of rows read while planning', async () => {
    const c = await connect();
    const got = [
      await received(c, "SET optimizer_trace='enabled=on'"),
      await received(c, 'SELECT e.id FROM patients p JOIN encounters e ON e.patient_id = p.id WHERE p.id = 1 LIMIT 5'),
      await received(c, 'SELECT TRACE FROM information_schema.OPTIMIZER_TRACE LIMIT 1'),
    ];
    expect(got[0]).toMatch(/^ERR /);
    expect(got[2]).toMatch(/^ERR /);
    expect(leaks(got.join('\n'), needles)).toEqual([]);
    await c.end();
  });

  it('SET GLOBAL, init_connect, a general log file and SET DEFAULT ROLE ... FOR are refused', async () => {
    const c = await connect();
    for (const sql of [
      "SET GLOBAL general_log_file='/tmp/sqlveil-rt.log'",
      'SET GLOBAL general_log=1',
      "SET @@global.init_connect='SET NAMES gbk'",
      'SET GLOBAL max_error_count=65',
      'SET DEFAULT ROLE NONE FOR root@localhost',
    ]) {
      expect(await received(c, sql), sql).toMatch(/^ERR /);
    }
    await c.end();
    expect(await myDirect('SELECT @@global.max_error_count')).toBe('64');
    expect(await myDirect('SELECT @@global.init_connect')).toBe('');
  });

  it('dba may not point the server at files either (server-file-access), and SET DEFAULT ROLE is an account change', async () => {
    const dba = await gw.token('dba-1', ['dba']);
    const c = await mysql.createConnection({
      host: '127.0.0.1', port: gw.myPort, user: 'dba-1', password: dba, database: 'clinic',
      authPlugins: { mysql_clear_password: () => () => Buffer.from(dba + '\0') },
    });
    expect(await received(c, "SET GLOBAL general_log_file='/tmp/sqlveil-rt.log'")).toMatch(/^ERR .*server-file-access|^ERR .*file/i);
    expect(await received(c, 'SET @@global.slow_query_log = 1')).toMatch(/^ERR /);
    await c.end();
  });

  it('wrote nothing', async () => {
    expect(await checksum()).toBe(before);
  });
});
