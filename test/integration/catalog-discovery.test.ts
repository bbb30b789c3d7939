// Schema discovery keeps working for role agent under the allow lists of rules/hipaa.yaml
// (functions, settings, catalog relations): psql's describe commands, information_schema, the
// JDBC driver's DatabaseMetaData, node-postgres and postgres.js type loading, and the MySQL
// clients' SHOW / DESCRIBE. All succeed, and none of them carries raw PHI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import pg from 'pg';
import postgres from 'postgres';
import mysql from 'mysql2/promise';
import { direct, loadClinicFixture, PG, ROOT, run, startGateway, type TestGateway } from './harness.js';
import { jdbcClassPath } from './jdbc.js';
import { clinicNeedles, leaks, needlesFromRows, type Needle } from './leak-check.js';
import { loadMysqlClinic, myDirect, startMysqlGateway, type MysqlTestGateway } from './mysql-harness.js';

describe('schema discovery as role agent (PostgreSQL)', () => {
  let gw: TestGateway;
  let needles: Needle[];
  let token: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    await loadClinicFixture();
    await direct("CREATE TYPE clinic.visit_kind AS ENUM ('in-person', 'video')");
    needles = await clinicNeedles();
    gw = await startGateway();
    token = await gw.token('agent-1', ['agents']);
    env = gw.libpqEnv(token);
  });
  afterAll(async () => {
    await gw?.stop();
    await loadClinicFixture();
  });

  const psql = (command: string) => run('psql', ['-X', '-U', 'agent-1', '-c', command], { env: { ...env, PGOPTIONS: '' } });

  it.each([
    ['\\d clinic.*', 'patients'],
    ['\\dt clinic.*', 'encounters'],
    ['\\d clinic.patients', 'full_name'],
    ['\\d+ clinic.patients', 'full_name'],
    ['\\dn', 'clinic'],
    ['\\df clinic.*', 'List of functions'],
    ['\\dT clinic.*', 'visit_kind'],
    ['\\dv *.*', 'pg_settings'],
    ['\\di clinic.*', 'patients_pkey'],
    ['\\l', PG.database],
    ['\\dp clinic.*', 'patients'],
    ['\\dx', 'plpgsql'],
    ['\\du', 'Role name'],
    ['\\d pg_catalog.pg_class', 'relname'],
    ["SELECT table_name FROM information_schema.tables WHERE table_schema = 'clinic' ORDER BY 1", 'patients'],
    ["SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'clinic' AND table_name = 'patients'", 'ssn'],
    ['SELECT schema_name FROM information_schema.schemata', 'clinic'],
    // information_schema.table_constraints shows only tables the login has more than SELECT on (none, least-privileged).
    ["SELECT constraint_name FROM information_schema.key_column_usage WHERE table_schema = 'clinic' UNION SELECT c.conname::text FROM pg_catalog.pg_constraint c JOIN pg_catalog.pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'clinic'", 'patients_pkey'],
    ["SELECT column_name FROM information_schema.key_column_usage WHERE table_schema = 'clinic'", 'id'],
  ])('psql %s', async (command, expected) => {
    const r = await psql(command);
    expect(r.stderr, r.stderr).toBe('');
    expect(r.stdout).toContain(expected);
    expect(leaks(r.stdout, needles)).toEqual([]);
  });

  it('JDBC DatabaseMetaData: tables, columns, keys, indexes, types, routines', async () => {
    const classPath = await jdbcClassPath();
    const url = `jdbc:postgresql://127.0.0.1:${gw.port}/${PG.database}?sslmode=disable`;
    const r = await run('java', ['-cp', classPath, join(ROOT, 'test/jdbc/PgJdbcMetadata.java'), url, 'agent-1', token], { timeoutMs: 120_000 });
    expect(r.stdout, r.stdout + r.stderr).not.toMatch(/-error=/);
    expect(r.code, r.stderr).toBe(0);
    const counts = Object.fromEntries(r.stdout.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(Number(counts.tables)).toBeGreaterThanOrEqual(3);
    expect(Number(counts.columns)).toBeGreaterThanOrEqual(10);
    expect(counts.primaryKeys).toBe('1');
    expect(Number(counts.importedKeys)).toBeGreaterThanOrEqual(1);
    expect(Number(counts.typeInfo)).toBeGreaterThan(10);
    expect(r.stdout).toContain('resultColumns=2 table=patients');
    // full_name is masked for agent; the metadata is not.
    expect(leaks(r.stdout, needles)).toEqual([]);
  }, 180_000);

  it('node-postgres reads arrays and a custom enum type', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: gw.port, user: 'agent-1', database: PG.database, password: token });
    await client.connect();
    try {
      const r = await client.query("SELECT ARRAY[diagnosis_code] AS codes, 'video'::clinic.visit_kind AS kind, '{1,2}'::int[] AS ints FROM clinic.patients ORDER BY id LIMIT 2");
      expect(r.rows).toHaveLength(2);
      expect(r.rows[0].ints).toEqual([1, 2]);
      expect(Array.isArray(r.rows[0].codes)).toBe(true);
      expect(r.rows[0].kind).toBe('video');
      // What a driver asks to learn an unknown type's name.
      const t = await client.query("SELECT typname, typtype, typarray FROM pg_catalog.pg_type WHERE typname = 'visit_kind'");
      expect(t.rows[0].typtype).toBe('e');
    } finally {
      await client.end();
    }
  });

  it('postgres.js fetches array types at connect and reads them', async () => {
    const sql = postgres({ host: '127.0.0.1', port: gw.port, user: 'agent-1', password: token, database: PG.database, max: 1, fetch_types: true });
    try {
      const rows = await sql`SELECT ARRAY[id, id + 1] AS ids, ARRAY['a', 'b'] AS names FROM clinic.clinics ORDER BY id LIMIT 1`;
      expect(rows[0]!.ids).toEqual([1, 2]);
      expect(rows[0]!.names).toEqual(['a', 'b']);
    } finally {
      await sql.end();
    }
  });
});

describe('schema discovery as role agent (MySQL)', () => {
  let gw: MysqlTestGateway;
  let needles: Needle[];
  let agent: string;

  beforeAll(async () => {
    await loadMysqlClinic();
    const rows = await myDirect("SELECT CONCAT_WS('|', mrn, full_name, ssn, dob, email, phone, address) FROM patients WHERE ssn IS NOT NULL ORDER BY id", 'clinic');
    needles = needlesFromRows(rows.replaceAll('|', '\t'));
    gw = await startMysqlGateway({ rules: join(ROOT, 'rules/hipaa.yaml'), gate: undefined });
    agent = await gw.token('agent-1', ['agents']);
  });
  afterAll(async () => gw?.stop());

  it.each([
    ['SHOW TABLES', 'patients'],
    ['SHOW FULL TABLES', 'patients'],
    ['SHOW COLUMNS FROM patients', 'full_name'],
    ['SHOW FULL COLUMNS FROM clinic.patients', 'full_name'],
    ['DESCRIBE patients', 'ssn'],
    ['SHOW INDEX FROM patients', 'PRIMARY'],
    ['SHOW CREATE TABLE patients', 'CREATE TABLE'],
    ['SHOW DATABASES', 'clinic'],
    ['SHOW TABLE STATUS', 'patients'],
    ["SHOW VARIABLES LIKE 'version%'", 'version'],
    ["SELECT column_name FROM information_schema.columns WHERE table_schema = 'clinic' AND table_name = 'patients'", 'ssn'],
    ["SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'clinic'", 'encounters'],
    ['SELECT DATABASE(), VERSION(), CURRENT_USER()', 'clinic'],
  ])('mariadb client: %s', async (sql, expected) => {
    const r = await gw.mariadb(agent, ['-e', sql], { user: 'agent-1' });
    expect(r.stderr, r.stderr).toBe('');
    expect(r.stdout).toContain(expected);
    expect(leaks(r.stdout, needles)).toEqual([]);
  });

  it('mysql2: SHOW TABLES, SHOW COLUMNS, DESCRIBE, information_schema.columns (query and execute)', async () => {
    const c = await mysql.createConnection({
      host: '127.0.0.1', port: gw.myPort, user: 'agent-1', password: agent, database: 'clinic',
      authPlugins: { mysql_clear_password: () => () => Buffer.from(agent + '\0') },
    });
    try {
      const [tables] = await c.query('SHOW TABLES');
      expect(JSON.stringify(tables)).toContain('patients');
      const [columns] = await c.query('SHOW COLUMNS FROM patients');
      expect(JSON.stringify(columns)).toContain('full_name');
      const [described] = await c.query('DESCRIBE encounters');
      expect(JSON.stringify(described)).toContain('summary');
      const [info] = await c.execute('SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', ['clinic', 'patients']);
      expect(JSON.stringify(info)).toContain('dob');
      expect(leaks(JSON.stringify([tables, columns, described, info]), needles)).toEqual([]);
    } finally {
      await c.end();
    }
  });
});
