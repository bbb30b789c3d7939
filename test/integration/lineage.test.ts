// Lineage attacks: statements whose output columns carry patients' values while the gateway
// might credit them to another source (a non-PHI table, a literal, a sort key, a CTE's path
// column). Through simple and prepared queries on both protocols, nothing the agent receives may
// hold a raw identifier of the fixture, in any encoding, and nothing is written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { ROOT, direct, loadClinicFixture, startGateway, type TestGateway } from './harness.js';
import { clinicNeedles, leaks, needlesFromRows, type Needle } from './leak-check.js';
import { loadMysqlClinic, myDirect, startMysqlGateway, type MysqlTestGateway } from './mysql-harness.js';

// Every attack reads under a LIMIT: the row limit rule must not be what stops it.
const PG_ATTACKS = [
  // A value of patients credited by name to clinics.
  'SELECT (SELECT ssn FROM clinic.patients LIMIT 1), name FROM clinic.clinics',
  'SELECT name, (SELECT full_name FROM clinic.patients LIMIT 1) AS name FROM clinic.clinics',
  'SELECT t.name FROM (SELECT (SELECT ssn FROM clinic.patients LIMIT 1) AS name FROM clinic.clinics) t',
  'SELECT t.a, t.b FROM (SELECT name, (SELECT ssn FROM clinic.patients LIMIT 1) FROM clinic.clinics) AS t(a, b)',
  'SELECT t.b FROM (SELECT name, (SELECT ssn FROM clinic.patients LIMIT 1) FROM clinic.clinics) AS t(a, b)',
  'SELECT *, (SELECT mrn FROM clinic.patients LIMIT 1) FROM clinic.clinics',
  'SELECT c.*, p.ssn FROM clinic.clinics c, clinic.patients p',
  'SELECT * FROM (SELECT id, full_name AS name FROM clinic.patients) p JOIN clinic.clinics c USING (id)',
  'SELECT name FROM (SELECT id, full_name AS name FROM clinic.patients) p NATURAL JOIN (SELECT id FROM clinic.clinics) c',
  'SELECT name FROM clinic.clinics UNION ALL SELECT ssn FROM clinic.patients',
  'SELECT name, city FROM clinic.clinics UNION SELECT full_name, email FROM clinic.patients',
  'SELECT * FROM (SELECT name FROM clinic.clinics INTERSECT ALL SELECT name FROM clinic.clinics UNION ALL SELECT ssn FROM clinic.patients) x',
  // Ordered-set aggregates: the result is a value of the ORDER BY argument.
  'SELECT mode() WITHIN GROUP (ORDER BY ssn) FROM clinic.patients',
  'SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY full_name) FROM clinic.patients',
  'SELECT percentile_disc(ARRAY[0.1, 0.9]) WITHIN GROUP (ORDER BY email)::text FROM clinic.patients',
  // Recursive CTE search / cycle columns carry the listed columns' values.
  'WITH RECURSIVE t(id, s) AS (SELECT id, ssn FROM clinic.patients UNION ALL SELECT id, s FROM t WHERE false) SEARCH DEPTH FIRST BY s SET ord SELECT ord::text FROM t',
  'WITH RECURSIVE t(id, s) AS (SELECT id, ssn FROM clinic.patients UNION ALL SELECT id, s FROM t WHERE false) SEARCH BREADTH FIRST BY s SET ord SELECT ord::text FROM t',
  'WITH RECURSIVE t(id, s) AS (SELECT id, full_name FROM clinic.patients UNION ALL SELECT id, s FROM t) CYCLE s SET is_cycle USING path SELECT path::text FROM t',
  'WITH RECURSIVE t(id, s) AS (SELECT id, mrn FROM clinic.patients UNION ALL SELECT id, s FROM t) CYCLE s SET is_cycle TO true DEFAULT false USING path SELECT is_cycle, path FROM t',
  // Window functions, aggregates, constructors carry their arguments.
  'SELECT lag(ssn) OVER (ORDER BY id), first_value(full_name) OVER (), nth_value(email, 2) OVER () FROM clinic.patients',
  'SELECT id, lead(mrn, 1, phone) OVER w FROM clinic.patients WINDOW w AS (ORDER BY id)',
  'SELECT json_agg(ssn)::text, array_agg(full_name ORDER BY id)::text, string_agg(email, \',\') FROM clinic.patients',
  'SELECT ROW(id, ssn)::text FROM clinic.patients',
  'SELECT * FROM ROWS FROM (unnest((SELECT array_agg(ssn) FROM clinic.patients)), generate_series(1, 3)) AS r(a, b)',
  'SELECT u FROM unnest((SELECT array_agg(full_name) FROM clinic.patients)) u',
  'SELECT x.* FROM clinic.clinics c, LATERAL (SELECT ssn FROM clinic.patients WHERE id = c.id) x',
  'SELECT * FROM (VALUES (1, (SELECT ssn FROM clinic.patients LIMIT 1))) v(a, b)',
  'SELECT id, full_name FROM clinic.patients GROUP BY GROUPING SETS ((id, full_name), ())',
  'SELECT DISTINCT ON (ssn) id, ssn FROM clinic.patients',
  'SELECT (SELECT p FROM clinic.patients p LIMIT 1)::text',
  'WITH x AS MATERIALIZED (SELECT full_name AS name FROM clinic.patients) SELECT c.name, x.name FROM clinic.clinics c, x',
].map((sql) => `${sql} LIMIT 10`);

const MY_ATTACKS = [
  'SELECT (SELECT ssn FROM clinic.patients LIMIT 1), name FROM clinic.clinics',
  'SELECT name, (SELECT full_name FROM clinic.patients LIMIT 1) AS name FROM clinic.clinics',
  'SELECT t.name FROM (SELECT (SELECT ssn FROM clinic.patients LIMIT 1) AS name FROM clinic.clinics) t',
  'SELECT t.b FROM (SELECT name AS a, (SELECT ssn FROM clinic.patients LIMIT 1) AS b FROM clinic.clinics) t',
  'SELECT t.`(SELECT ssn FROM clinic.patients LIMIT 1)` FROM (SELECT (SELECT ssn FROM clinic.patients LIMIT 1) FROM clinic.clinics) t',
  'SELECT t.`upper(ssn)` FROM (SELECT upper(ssn) FROM clinic.patients) t',
  'SELECT t.`UPPER(ssn)` FROM (SELECT upper(ssn) FROM clinic.patients) t',
  'SELECT * FROM (SELECT upper(ssn), name FROM clinic.patients, clinic.clinics) t',
  'WITH t(a, b) AS (SELECT name, (SELECT ssn FROM clinic.patients LIMIT 1) FROM clinic.clinics) SELECT b FROM t',
  'SELECT *, (SELECT mrn FROM clinic.patients LIMIT 1) FROM clinic.clinics',
  'SELECT * FROM (SELECT id, full_name AS name FROM clinic.patients) p JOIN clinic.clinics c USING (id)',
  'SELECT name FROM (SELECT id, full_name AS name FROM clinic.patients) p NATURAL JOIN (SELECT id FROM clinic.clinics) c',
  'SELECT name FROM clinic.clinics UNION ALL SELECT ssn FROM clinic.patients',
  'SELECT GROUP_CONCAT(ssn ORDER BY id), JSON_ARRAYAGG(full_name) FROM clinic.patients',
  'SELECT LAG(ssn) OVER (ORDER BY id), FIRST_VALUE(full_name) OVER (ORDER BY id), NTH_VALUE(email, 2) OVER (ORDER BY id) FROM clinic.patients',
  "SELECT JSON_OBJECTAGG(id, mrn) FROM clinic.patients",
  'SELECT x.s FROM clinic.clinics c, LATERAL (SELECT ssn AS s FROM clinic.patients WHERE id = c.id) x',
  'SELECT * FROM (VALUES ROW(1, (SELECT ssn FROM clinic.patients LIMIT 1))) v',
  'WITH RECURSIVE t AS (SELECT id, ssn AS s FROM clinic.patients UNION ALL SELECT id, s FROM t WHERE false) SELECT s FROM t',
].map((sql) => `${sql} LIMIT 10`);

describe('lineage cannot credit a patients value to another source (PostgreSQL)', () => {
  let gw: TestGateway;
  let needles: Needle[];
  let client: pg.Client;
  let before: string;

  beforeAll(async () => {
    await loadClinicFixture();
    needles = await clinicNeedles();
    before = await direct('SELECT md5(string_agg(p::text, \',\' ORDER BY id)) FROM clinic.patients p');
    gw = await startGateway();
    const env = gw.libpqEnv(await gw.token('agent-1', ['agents']));
    client = new pg.Client({ host: '127.0.0.1', port: gw.port, user: 'agent-1', database: env.PGDATABASE, password: env.PGPASSWORD });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await gw?.stop();
  });

  // Rows as arrays: same-named columns must not hide each other from the leak check.
  const received = async (query: pg.QueryConfig | string): Promise<string> => {
    try {
      const r = await client.query({ ...(typeof query === 'string' ? { text: query } : query), rowMode: 'array' });
      return JSON.stringify(r.rows, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('latin1') : v));
    } catch (error) {
      return String((error as Error).message) + JSON.stringify(error);
    }
  };

  it.each(PG_ATTACKS)('simple query: %s', async (sql) => {
    const text = await received(sql);
    expect(leaks(text, needles), text).toEqual([]);
    expect(await received('SELECT 1 AS ok')).toBe('[[1]]');
  });

  it.each(PG_ATTACKS)('prepared, binary results: %s', async (sql) => {
    const text = await received({ text: sql, values: [], binary: true } as pg.QueryConfig);
    expect(leaks(text, needles), text).toEqual([]);
  });

  it('wrote nothing', async () => {
    expect(await direct('SELECT md5(string_agg(p::text, \',\' ORDER BY id)) FROM clinic.patients p')).toBe(before);
  });
});

describe('lineage cannot credit a patients value to another source (MySQL)', () => {
  let gw: MysqlTestGateway;
  let needles: Needle[];
  let c: mysql.Connection;

  beforeAll(async () => {
    await loadMysqlClinic();
    const rows = await myDirect("SELECT CONCAT_WS('|', mrn, full_name, ssn, dob, email, phone, address) FROM patients WHERE ssn IS NOT NULL ORDER BY id", 'clinic');
    needles = needlesFromRows(rows.replaceAll('|', '\t'));
    gw = await startMysqlGateway({ rules: join(ROOT, 'rules/hipaa.yaml'), gate: undefined });
    const token = await gw.token('agent-1', ['agents']);
    c = await mysql.createConnection({
      host: '127.0.0.1', port: gw.myPort, user: 'agent-1', password: token, database: 'clinic',
      authPlugins: { mysql_clear_password: () => () => Buffer.from(token + '\0') },
    });
  });
  afterAll(async () => {
    await c?.end();
    await gw?.stop();
  });

  const received = async (sql: string, prepared: boolean): Promise<string> => {
    try {
      const [rows] = prepared ? await c.execute({ sql, rowsAsArray: true }) : await c.query({ sql, rowsAsArray: true });
      return JSON.stringify(rows, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('latin1') : v));
    } catch (error) {
      return String((error as Error).message);
    }
  };

  it.each(MY_ATTACKS)('text protocol: %s', async (sql) => {
    const text = await received(sql, false);
    expect(leaks(text, needles), text).toEqual([]);
    expect(await received('SELECT 1 AS ok', false)).toBe('[[1]]');
  });

  it.each(MY_ATTACKS)('prepared, binary rows: %s', async (sql) => {
    const text = await received(sql, true);
    expect(leaks(text, needles), text).toEqual([]);
  });
});
