// Attack class: values quoted back in server texts (issue 13, section 3b). After a statement that
// read protected columns, role agent gets the server's errors, notices and warnings with a fixed
// text in place of their free text (the SQLSTATE / error number kept), so no encoding of a value
// (reversed, hex, base64) can pass where the content detectors would not see it. PostgreSQL
// (psql, node pg extended protocol) and MySQL (mysql2 text and prepared, the mariadb client).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { ROOT, direct, loadClinicFixture, run, startGateway, type TestGateway } from './harness.js';
import { clinicNeedles, leaks, needlesFromRows, type Needle } from './leak-check.js';
import { loadMysqlClinic, myDirect, startMysqlGateway, type MysqlTestGateway } from './mysql-harness.js';

const WITHHELD = /the server's message text \((SQLSTATE [0-9A-Z]{5}[^)]*)\) was withheld because the statement read protected columns/;

describe('PostgreSQL: errors and notices after protected reads', () => {
  let gw: TestGateway;
  let needles: Needle[];
  let env: Record<string, string>;
  let before: string;
  const checksum = () => direct("SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM (SELECT p::text AS t FROM clinic.patients p UNION ALL SELECT e::text FROM clinic.encounters e) s");

  beforeAll(async () => {
    await loadClinicFixture();
    needles = await clinicNeedles();
    gw = await startGateway({ rules: join(ROOT, 'rules/hipaa.yaml') });
    env = gw.libpqEnv(await gw.token('agent-1', ['agents']));
    before = await checksum();
  });
  afterAll(async () => gw?.stop());

  const psql = (sql: string) => run('psql', ['-X', '-U', 'agent-1', '-v', 'VERBOSITY=verbose', '-c', sql], { env: { ...env, PGOPTIONS: '' } });

  it.each([
    'SELECT CAST(reverse(ssn) AS INT) FROM clinic.patients ORDER BY id LIMIT 1',
    "SELECT CAST(encode(convert_to(ssn, 'UTF8'), 'hex') AS INT) FROM clinic.patients ORDER BY id LIMIT 1",
    "SELECT CAST(encode(convert_to(full_name, 'UTF8'), 'base64') AS NUMERIC) FROM clinic.patients ORDER BY id LIMIT 1",
    'SELECT reverse(mrn)::date FROM clinic.patients ORDER BY id LIMIT 1',
    'SELECT reverse(email)::json FROM clinic.patients ORDER BY id LIMIT 1',
    'SELECT xmlparse(document reverse(full_name)) FROM clinic.patients ORDER BY id LIMIT 1',
    'SELECT 1; SELECT reverse(ssn)::int FROM clinic.patients ORDER BY id LIMIT 1',
    'BEGIN; SELECT reverse(address)::int FROM clinic.patients ORDER BY id LIMIT 1; COMMIT',
  ])('psql: %s', async (sql) => {
    const r = await psql(sql);
    const text = r.stdout + r.stderr;
    expect(leaks(text, needles), text).toEqual([]);
    expect(text).toMatch(WITHHELD);
    expect(text).toMatch(/ERROR: {2}[0-9A-Z]{5}:/); // the SQLSTATE stays
    expect(text).not.toMatch(/DETAIL|CONTEXT|HINT/);
    expect(await checksum()).toBe(before);
  });

  it('node pg, extended protocol (binary parameters), and the session goes on', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: gw.port, user: 'agent-1', database: env.PGDATABASE, password: env.PGPASSWORD });
    await client.connect();
    try {
      const err = await client.query('SELECT CAST(reverse(ssn) AS INT) FROM clinic.patients WHERE id = $1 LIMIT 1', [1]).then(() => undefined, (e: Error & { code?: string; detail?: string; where?: string }) => e);
      expect(err).toBeDefined();
      expect(leaks(JSON.stringify({ m: err!.message, d: err!.detail, w: err!.where }), needles)).toEqual([]);
      expect(err!.message).toMatch(WITHHELD);
      expect(err!.code).toBe('22P02');
      const json = await client.query('SELECT reverse(email)::json FROM clinic.patients WHERE id = $1 LIMIT 1', [2]).then(() => undefined, (e: Error & { detail?: string; where?: string }) => e);
      expect(leaks(JSON.stringify({ m: json!.message, d: json!.detail, w: json!.where }), needles)).toEqual([]);
      expect((await client.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    } finally {
      await client.end();
    }
  });

  it('control: a statement that reads no protected table keeps the server text (content detectors only)', async () => {
    const r = await psql('SELECT CAST(name AS INT) FROM clinic.clinics ORDER BY id LIMIT 1');
    expect(r.stderr).toMatch(/invalid input syntax for type integer: "Northside Family Care"/);
  });
});

describe('MySQL: ERR packets and warnings after protected reads', () => {
  let gw: MysqlTestGateway;
  let needles: Needle[];
  let agent: string;
  let before: string;
  const checksum = () => myDirect('CHECKSUM TABLE clinic.patients, clinic.encounters, clinic.clinics');

  beforeAll(async () => {
    await loadMysqlClinic();
    const rows = await myDirect("SELECT CONCAT_WS('|', mrn, full_name, ssn, dob, email, phone, address) FROM patients WHERE ssn IS NOT NULL ORDER BY id", 'clinic');
    needles = needlesFromRows(rows.replaceAll('|', '\t'));
    // The function allow list refuses EXTRACTVALUE / UPDATEXML for agent; allowed here, so the server's
    // own errors quoting values show that withholding holds by itself.
    gw = await startMysqlGateway({
      rules: join(ROOT, 'rules/hipaa.yaml'),
      gate: undefined,
      configure: (config) => config.policy!.roles.agent!.functions?.allow.push('extractvalue', 'updatexml'),
    });
    agent = await gw.token('agent-1', ['agents']);
    before = await checksum();
  });
  afterAll(async () => gw?.stop());

  const connect = () =>
    mysql.createConnection({
      host: '127.0.0.1', port: gw.myPort, user: 'agent-1', password: agent, database: 'clinic', multipleStatements: true,
      authPlugins: { mysql_clear_password: () => () => Buffer.from(agent + '\0') },
    });
  async function session(steps: string[], prepared = false): Promise<string> {
    const c = await connect();
    try {
      let all = '';
      for (const step of steps) {
        try {
          const [rows] = prepared ? await c.execute(step) : await c.query(step);
          all += `${JSON.stringify(rows)}\n`;
        } catch (e) {
          const err = e as Error & { errno?: number; sqlState?: string };
          all += `ERR ${err.errno} ${err.sqlState} ${err.message}\n`;
        }
      }
      const [ok] = await c.query('SELECT 1 AS ok');
      expect(ok).toEqual([{ ok: 1 }]);
      return all;
    } finally {
      await c.end();
    }
  }

  it.each([
    [['SELECT EXTRACTVALUE(1, CONCAT(0x7e, (SELECT REVERSE(ssn) FROM clinic.patients ORDER BY id LIMIT 1))) LIMIT 1']],
    [['SELECT UPDATEXML(1, CONCAT(0x7e, (SELECT HEX(ssn) FROM clinic.patients ORDER BY id LIMIT 1)), 1) LIMIT 1']],
    [['SELECT EXTRACTVALUE(1, CONCAT(0x7e, (SELECT TO_BASE64(full_name) FROM clinic.patients ORDER BY id LIMIT 1))) LIMIT 1', 'SHOW ERRORS']],
    [['SELECT HEX(ssn) + 0 FROM clinic.patients ORDER BY id LIMIT 1; SHOW WARNINGS']],
    [['SELECT REVERSE(mrn) + 0 FROM clinic.patients ORDER BY id LIMIT 1', 'SELECT 1', 'SHOW WARNINGS']],
    [['SELECT CAST(HEX(email) AS DECIMAL) FROM clinic.patients ORDER BY id LIMIT 1', 'SHOW WARNINGS LIMIT 5']],
    [['SELECT 1; SELECT EXTRACTVALUE(1, CONCAT(0x7e, (SELECT REVERSE(full_name) FROM clinic.patients ORDER BY id LIMIT 1))) LIMIT 1']],
    [['BEGIN', 'SELECT HEX(ssn) + 0 FROM clinic.patients ORDER BY id LIMIT 1', 'SHOW WARNINGS', 'COMMIT']],
  ])('mysql2: %j', async (steps) => {
    const text = await session(steps);
    expect(leaks(text, needles), text).toEqual([]);
    expect(text).toMatch(/withheld because the statement read protected columns/);
    expect(await checksum()).toBe(before);
  });

  it('prepared (binary protocol): the ERR keeps its number and SQLSTATE', async () => {
    const text = await session(['SELECT EXTRACTVALUE(1, CONCAT(0x7e, (SELECT REVERSE(ssn) FROM clinic.patients ORDER BY id LIMIT 1))) LIMIT 1', 'SELECT HEX(ssn) + 0 FROM clinic.patients ORDER BY id LIMIT 1', 'SHOW WARNINGS'], true);
    expect(leaks(text, needles), text).toEqual([]);
    expect(text).toMatch(/ERR 1105 HY000 .*SQLSTATE HY000, error 1105/);
  });

  it('mariadb client with --show-warnings', async () => {
    const r = await gw.mariadb(agent, ['--force', '--show-warnings', '-e', 'SELECT HEX(ssn) + 0 FROM clinic.patients ORDER BY id LIMIT 2; SELECT EXTRACTVALUE(1, CONCAT(0x7e, (SELECT REVERSE(ssn) FROM clinic.patients LIMIT 1))) LIMIT 1'], { user: 'agent-1' });
    const text = r.stdout + r.stderr;
    expect(leaks(text, needles), text).toEqual([]);
    expect(text).toMatch(/withheld/);
  });

  it('control: a statement that reads no protected table keeps the server text', async () => {
    const text = await session(['SELECT EXTRACTVALUE(1, CONCAT(0x7e, (SELECT name FROM clinic.clinics ORDER BY id LIMIT 1))) LIMIT 1']);
    expect(text).toMatch(/XPATH syntax error: '~Northside/);
  });
});
