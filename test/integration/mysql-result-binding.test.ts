// Attack class: shifting which analysed statement a result set is masked by (issue 13, 1-MySQL).
// A multi-statement string whose earlier statements answer with OK (SET, DO, USE, SELECT ... INTO)
// or with result sets of their own must not make a later protected result be masked as an earlier
// statement's; a result the gateway cannot bind never reaches role agent. Every attempt: no raw
// identifier of the fixture in any encoding, and nothing written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { ROOT } from './harness.js';
import { leaks, needlesFromRows, type Needle } from './leak-check.js';
import { loadMysqlClinic, myDirect, startMysqlGateway, type MysqlTestGateway } from './mysql-harness.js';

/** Encodings the content detectors do not know: only the column rules (bound to the right statement) can mask them. */
const ENCODED = 'HEX(ssn), REVERSE(full_name), TO_BASE64(email), REVERSE(mrn), HEX(phone)';

const STRINGS = [
  `SET @a = 1; SELECT ${ENCODED} FROM clinic.patients ORDER BY id LIMIT 5`,
  `DO 1; SELECT ${ENCODED} FROM clinic.patients ORDER BY id LIMIT 5`,
  `SELECT id FROM clinic.clinics LIMIT 1; SET @a = 2; SELECT ${ENCODED} FROM clinic.patients ORDER BY id LIMIT 5`,
  `DO 0; USE clinic; DO 1; SELECT ${ENCODED} FROM patients ORDER BY id LIMIT 5`,
  `SET @a = 1; SET @b = 2; SELECT ${ENCODED} FROM clinic.patients ORDER BY id LIMIT 5; SELECT 1`,
  `BEGIN; SELECT ${ENCODED} FROM clinic.patients ORDER BY id LIMIT 5; COMMIT`,
  `SELECT 1 INTO @x; SELECT ${ENCODED} FROM clinic.patients ORDER BY id LIMIT 5`,
  `SELECT name FROM clinic.clinics LIMIT 1; DO 1; SELECT ${ENCODED} FROM clinic.patients ORDER BY id LIMIT 5`,
];

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

/** Everything a query returned or the error it raised, as text. */
async function received(c: mysql.Connection, sql: string): Promise<string> {
  try {
    const [rows] = await c.query(sql);
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
});

describe('MySQL results bind to the statement that produced them', () => {
  it.each(STRINGS)('mysql2 multi-statement: %s', async (sql) => {
    const c = await connect();
    try {
      const text = await received(c, sql);
      expect(leaks(text, needles), text).toEqual([]);
      // The protected result is there, masked by its own statement's rules.
      expect(text).toContain('***-**-****');
      expect(await received(c, 'SELECT 1 AS ok')).toBe('[{"ok":1}]');
    } finally {
      await c.end();
    }
    expect(await checksum()).toBe(before);
  });

  it.each(STRINGS)('mariadb client (one COM_QUERY through DELIMITER): %s', async (sql) => {
    // The client splits at its delimiter: with another one, the whole string goes as one query.
    const r = await gw.mariadb(agent, ['--force'], { user: 'agent-1', input: `DELIMITER //\n${sql}//\n` });
    const text = r.stdout + r.stderr;
    expect(leaks(text, needles), text).toEqual([]);
    expect(text).toContain('***-**-****');
  });

  it('control: an ERR ends the string: nothing after it runs, nothing leaks, the session goes on', async () => {
    const c = await connect();
    try {
      const text = await received(c, `SELECT nosuch FROM clinic.clinics; SELECT ${ENCODED} FROM clinic.patients LIMIT 5`);
      expect(text).toMatch(/^ERR/);
      expect(leaks(text, needles)).toEqual([]);
      expect(await received(c, 'SELECT 2 AS ok')).toBe('[{"ok":2}]');
    } finally {
      await c.end();
    }
  });
});
