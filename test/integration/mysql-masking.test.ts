// Role agent tries to read raw PHI of the clinic fixture through the mariadb client and mysql2,
// under rules/hipaa.yaml: nothing it receives (rows, errors, warnings) may hold a raw identifier,
// views included, while it still reads rows and dba sees real values.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { ROOT } from './harness.js';
import { leaks, needlesFromRows, type Needle } from './leak-check.js';
import { loadMysqlClinic, myDirect, startMysqlGateway, type MysqlTestGateway } from './mysql-harness.js';

const ATTEMPTS = [
  'SELECT id, full_name, ssn, email FROM clinic.patients ORDER BY id LIMIT 10',
  'SELECT * FROM patients LIMIT 10',
  'SELECT `SSN`, Full_Name FROM `clinic`.`patients` LIMIT 10',
  'SELECT /* ids */ ssn -- names\n, mrn FROM patients LIMIT 10',
  'SELECT LEFT(ssn, 7), RIGHT(ssn, 7) FROM clinic.patients LIMIT 10',
  'SELECT JSON_ARRAY(dob, mrn), JSON_OBJECT(\'s\', ssn) FROM clinic.patients LIMIT 10',
  "SELECT NULLIF(phone, ''), CONCAT(full_name, ''), CONCAT_WS('-', ssn, mrn) FROM clinic.patients LIMIT 10",
  "SELECT LPAD(ssn, 12, '*'), notes FROM clinic.patients LIMIT 10",
  'SELECT e.summary, p.full_name FROM clinic.encounters e JOIN clinic.patients p ON p.id = e.patient_id LIMIT 10',
  "SELECT INSERT(email, 1, 0, 'x'), REVERSE(ssn), HEX(ssn), TO_BASE64(email), UPPER(address) FROM clinic.patients LIMIT 10",
  'SELECT ssn FROM clinic.patients WHERE id IN (SELECT patient_id FROM clinic.encounters) LIMIT 10',
  "SELECT GROUP_CONCAT(ssn SEPARATOR ','), MAX(full_name) FROM clinic.patients",
  'SELECT CASE WHEN id > 0 THEN ssn END FROM clinic.patients LIMIT 10',
  "SELECT 'x' UNION SELECT ssn FROM clinic.patients LIMIT 10",
  'WITH t AS (SELECT ssn, email FROM clinic.patients) SELECT * FROM t LIMIT 10',
  'SELECT (SELECT ssn FROM clinic.patients WHERE id = 1) AS s',
  'SELECT * FROM v_merge LIMIT 10',
  'SELECT * FROM v_temp LIMIT 10',
  'SELECT ssn + 0 FROM clinic.patients WHERE id = 1 LIMIT 1; SHOW WARNINGS',
  'SELECT CAST(ssn AS DATE) FROM clinic.patients WHERE id = 1 LIMIT 1; SHOW WARNINGS',
  'USE clinic; SELECT ssn, mrn FROM patients LIMIT 10',
];

describe('masking PHI for role agent (MySQL)', () => {
  let gw: MysqlTestGateway;
  let needles: Needle[];
  let agent: string;
  let dba: string;

  beforeAll(async () => {
    await loadMysqlClinic();
    await myDirect('CREATE VIEW v_merge AS SELECT id, full_name, ssn FROM patients', 'clinic');
    await myDirect('CREATE ALGORITHM=TEMPTABLE VIEW v_temp AS SELECT id, email, phone FROM patients', 'clinic');
    needles = await mysqlNeedles();
    gw = await startMysqlGateway({ rules: join(ROOT, 'rules/hipaa.yaml'), gate: undefined });
    agent = await gw.token('agent-1', ['agents']);
    dba = await gw.token('dba-1', ['dba']);
  });
  afterAll(async () => {
    await gw?.stop();
    await loadMysqlClinic();
  });

  it.each(ATTEMPTS)('agent reads no raw PHI: %s', async (sql) => {
    const r = await gw.mariadb(agent, ['--force', '-e', sql], { user: 'agent-1' });
    const received = r.stdout + r.stderr;
    expect(leaks(received, needles), received).toEqual([]);
  });

  it('refuses a WHERE on a masked column (blind inference), naming the column', async () => {
    const r = await gw.mariadb(agent, ['-e', "SELECT * FROM clinic.patients WHERE ssn = '900-11-0001' AND id = 1 LIMIT 1"], { user: 'agent-1' });
    expect(r.stderr).toContain('column clinic.patients.ssn is masked for role agent and cannot be used in WHERE');
    expect(leaks(r.stdout, needles)).toEqual([]);
  });

  it('masks rows read with mysql2 query and execute (text and binary rows)', async () => {
    const c = await mysql.createConnection({
      host: '127.0.0.1', port: gw.myPort, user: 'agent-1', password: agent, database: 'clinic',
      authPlugins: { mysql_clear_password: () => () => Buffer.from(agent + '\0') },
    });
    try {
      const [a] = await c.query('SELECT id, ssn, dob, full_name, email, notes FROM patients ORDER BY id LIMIT 10');
      const [b] = await c.execute('SELECT id, ssn, dob, full_name, email, notes FROM patients WHERE id > ? ORDER BY id LIMIT 10', [0]);
      expect(a).toHaveLength(5);
      expect(b).toHaveLength(5);
      expect(leaks(JSON.stringify([a, b]), needles)).toEqual([]);
      const [count] = await c.query('SELECT count(*) AS n FROM patients');
      expect((count as { n: number }[])[0]!.n).toBe(5);
    } finally {
      await c.end();
    }
  });

  it('dba sees real values', async () => {
    const r = await gw.mariadb(dba, ['-N', '-e', 'SELECT ssn, full_name FROM patients WHERE id = 1']);
    expect(r.stdout).toContain('900-11-0001');
    expect(r.stdout).toContain('Ada Quintero');
  });
});

/** Raw PHI values straight from MariaDB, in the encodings leak-check knows. */
async function mysqlNeedles(): Promise<Needle[]> {
  // `|` rather than a tab: the client escapes tabs inside values in batch output.
  const rows = await myDirect("SELECT CONCAT_WS('|', mrn, full_name, ssn, dob, email, phone, address) FROM patients WHERE ssn IS NOT NULL ORDER BY id", 'clinic');
  return needlesFromRows(rows.replaceAll('|', '\t'));
}
