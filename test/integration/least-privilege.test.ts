// Least privilege upstream (issue 13, 6b-c). (a) The gateway refuses a session of role agent whose
// upstream login is superuser-like when rules/hipaa.yaml says refuse, warns at start-up when it
// says warn, and leaves dba alone. (b) A few attacks as agent, run both ways (least-privileged
// login and superuser login): no raw PHI comes back in any encoding and nothing is written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import pg from 'pg';
import pino from 'pino';
import mysql from 'mysql2/promise';
import { AGENT_LOGINS, direct, loadClinicFixture, run, startGateway, type AgentLogin, type TestGateway } from './harness.js';
import { clinicNeedles, leaks, type Needle } from './leak-check.js';
import { ensureMysqlAgentLogin, loadMysqlClinic, myDirect, startMysqlGateway, type MysqlTestGateway } from './mysql-harness.js';
import type { Logger } from '../../src/log.js';
import { join } from 'node:path';
import { ROOT } from './harness.js';

/** A logger whose lines the test reads. */
function capturedLog(): { log: Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      out.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const until = async (check: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
};

const psql = (gw: TestGateway, token: string, user: string, sql: string) => run('psql', ['-X', '-U', user, '-c', sql], { env: { ...gw.libpqEnv(token), PGOPTIONS: '' } });

/** A login that is no superuser but reads every session's statements (pg_monitor). */
const PG_MONITOR_LOGIN = 'sqlveil_agent_monitor';
/** A MariaDB login with SELECT on clinic and PROCESS (every session's statements). */
const MY_PROCESS_LOGIN = 'sqlveil_agent_process';

describe('PostgreSQL: the upstream login of role agent', () => {
  beforeAll(async () => {
    await loadClinicFixture();
    await direct(`DO $$ BEGIN CREATE ROLE ${PG_MONITOR_LOGIN} LOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$; GRANT pg_monitor TO ${PG_MONITOR_LOGIN}`);
  });

  it('refuses a superuser login at login, saying which role, which login, why and what to do; dba is unaffected', async () => {
    const captured = capturedLog();
    const gw = await startGateway({ agentLogin: 'superuser', env: { SQLVEIL_AGENT_SUPERUSER_LOGIN: 'refuse' }, log: captured.log });
    try {
      const r = await psql(gw, await gw.token('agent-1', ['agents']), 'agent-1', 'SELECT 1');
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/FATAL:.*role "agent".*upstream "pg".*"postgres".*superuser/);
      expect(r.stderr).toMatch(/HINT:.*least-privileged login/);
      const d = await psql(gw, await gw.token('dba-1', ['dba']), 'dba-1', 'SELECT 42 AS answer');
      expect(d.stdout).toContain('42');
      await until(() => captured.lines().some((l) => l.at === 'login' && l.check === 'refuse'));
      const refused = captured.lines().filter((l) => l.check === 'refuse');
      expect(refused.some((l) => l.at === 'start' && l.role === 'agent' && l.upstreamUser === 'postgres')).toBe(true);
      expect(refused.some((l) => l.at === 'login')).toBe(true);
      expect(refused.some((l) => l.role === 'dba')).toBe(false);
      await new Promise((res) => setTimeout(res, 300)); // the audit file sink flushes every 100 ms
      const events = readFileSync(join(gw.dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(events.some((e) => e.type === 'auth.failed' && e.reason === 'upstream_login_refused' && e.subject === 'agent-1')).toBe(true);
    } finally {
      await gw.stop();
    }
  });

  it('refuses a login that is no superuser but a member of pg_monitor', async () => {
    const gw = await startGateway({ env: { SQLVEIL_PG_AGENT_USER: PG_MONITOR_LOGIN } });
    try {
      const r = await psql(gw, await gw.token('agent-1', ['agents']), 'agent-1', 'SELECT 1');
      expect(r.stderr).toMatch(/FATAL:.*"sqlveil_agent_monitor".*pg_monitor/);
    } finally {
      await gw.stop();
    }
  });

  it('with warn, lets the superuser login work and says so loudly at start-up', async () => {
    const captured = capturedLog();
    const gw = await startGateway({ agentLogin: 'superuser', log: captured.log });
    try {
      const r = await psql(gw, await gw.token('agent-1', ['agents']), 'agent-1', 'SELECT name FROM clinic.clinics ORDER BY id');
      expect(r.stdout, r.stderr).toContain('Lakeview Oncology');
      await until(() => captured.lines().some((l) => l.at === 'start' && l.upstream === 'pg'));
      const warning = captured.lines().find((l) => l.at === 'start' && l.upstream === 'pg');
      expect(warning).toMatchObject({ level: 40, role: 'agent', upstreamUser: 'postgres', check: 'warn' });
      expect(String(warning!.msg)).toMatch(/WARNING: .*superuser/);
    } finally {
      await gw.stop();
    }
  });

  it('lets the least-privileged login work with refuse, and logs nothing about it', async () => {
    const captured = capturedLog();
    const gw = await startGateway({ log: captured.log });
    try {
      const r = await psql(gw, await gw.token('agent-1', ['agents']), 'agent-1', 'SELECT current_user, count(*) FROM clinic.clinics');
      expect(r.stdout, r.stderr).toMatch(/sqlveil_agent \|\s+2/);
      await new Promise((res) => setTimeout(res, 300));
      expect(captured.lines().filter((l) => l.upstream === 'pg' && l.check !== undefined)).toEqual([]);
    } finally {
      await gw.stop();
    }
  });
});

describe('MySQL: the upstream login of role agent', () => {
  beforeAll(async () => {
    await loadMysqlClinic();
    await myDirect(`CREATE USER IF NOT EXISTS '${MY_PROCESS_LOGIN}'@'%' IDENTIFIED BY 'process-test'; GRANT SELECT ON clinic.* TO '${MY_PROCESS_LOGIN}'@'%'; GRANT PROCESS ON *.* TO '${MY_PROCESS_LOGIN}'@'%'`);
  });
  const hipaa = join(ROOT, 'rules/hipaa.yaml');

  it('refuses root for agent with refuse; dba is unaffected', async () => {
    const gw = await startMysqlGateway({ rules: hipaa, gate: undefined, agentLogin: 'superuser', env: { SQLVEIL_AGENT_SUPERUSER_LOGIN: 'refuse' } });
    try {
      const r = await gw.mariadb(await gw.token('agent-1', ['agents']), ['-e', 'SELECT 1'], { user: 'agent-1' });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/role "agent".*upstream "mysql".*"root".*ALL PRIVILEGES.*hint: the gateway operator must/);
      const d = await gw.mariadb(await gw.token('dba-1', ['dba']), ['-N', '-e', 'SELECT count(*) FROM clinics']);
      expect(d.stdout, d.stderr).toMatch(/^2$/m);
    } finally {
      await gw.stop();
    }
  });

  it('refuses a login holding PROCESS, and lets the least-privileged one work', async () => {
    const process = await startMysqlGateway({ rules: hipaa, gate: undefined, env: { SQLVEIL_MYSQL_AGENT_USER: MY_PROCESS_LOGIN, SQLVEIL_MYSQL_AGENT_PASSWORD: 'process-test' } });
    try {
      const r = await process.mariadb(await process.token('agent-1', ['agents']), ['-e', 'SELECT 1'], { user: 'agent-1' });
      expect(r.stderr).toMatch(/"sqlveil_agent_process".*PROCESS/);
    } finally {
      await process.stop();
    }
    const gw = await startMysqlGateway({ rules: hipaa, gate: undefined });
    try {
      const r = await gw.mariadb(await gw.token('agent-1', ['agents']), ['-N', '-e', 'SELECT current_user(), count(*) FROM clinics'], { user: 'agent-1' });
      expect(r.stdout, r.stderr).toMatch(/sqlveil_agent@%\s+2/);
    } finally {
      await gw.stop();
    }
  });

  it('with warn, lets root work and warns at start-up', async () => {
    const captured = capturedLog();
    const gw = await startMysqlGateway({ rules: hipaa, gate: undefined, agentLogin: 'superuser', log: captured.log });
    try {
      const r = await gw.mariadb(await gw.token('agent-1', ['agents']), ['-N', '-e', 'SELECT count(*) FROM clinics'], { user: 'agent-1' });
      expect(r.stdout, r.stderr).toMatch(/^2$/m);
      await until(() => captured.lines().some((l) => l.at === 'start' && l.upstream === 'mysql'));
      expect(captured.lines().find((l) => l.at === 'start' && l.upstream === 'mysql')).toMatchObject({ level: 40, role: 'agent', upstreamUser: 'root', check: 'warn' });
    } finally {
      await gw.stop();
    }
  });
});

const COPY_FILE = '/tmp/sqlveil-h4-least-privilege.csv';

/** Attacks whose effect the server's grants would also stop; the gateway must stop them either way. */
const PG_ATTACKS = [
  "SELECT pg_read_file('/etc/passwd')",
  "SELECT pg_catalog.pg_read_binary_file('/etc/passwd')",
  `COPY clinic.patients TO '${COPY_FILE}'`,
  `COPY (SELECT ssn, full_name FROM clinic.patients) TO '${COPY_FILE}' WITH (FORMAT csv)`,
  'COPY (SELECT ssn, full_name FROM clinic.patients) TO STDOUT',
  `SELECT lo_export(lo_from_bytea(0, 'x'), '${COPY_FILE}')`,
  'SELECT ssn, full_name, email, dob FROM clinic.patients ORDER BY id LIMIT 10',
  'SELECT query FROM pg_stat_activity',
  'SELECT query FROM pg_catalog.pg_stat_get_activity(NULL)',
  'BEGIN; SELECT query FROM pg_stat_activity; COMMIT',
  'TABLE pg_catalog.pg_stat_activity',
  'SELECT a.query FROM clinic.clinics c, LATERAL (SELECT query FROM "pg_catalog"."pg_stat_activity") a',
  'SELECT (pg_catalog.pg_stat_get_activity(NULL)).query',
  'SELECT pg_stat_get_backend_activity(b) FROM pg_stat_get_backend_idset() b',
  "INSERT INTO clinic.clinics VALUES (99, 'x', 'y')",
  'CREATE TABLE clinic.stolen AS SELECT * FROM clinic.patients',
  "SELECT set_config('role', 'postgres', false)",
  'SET ROLE postgres; SELECT ssn FROM clinic.patients LIMIT 5',
];

describe.each(AGENT_LOGINS)('PostgreSQL attacks as agent (upstream login: %s)', (agentLogin: AgentLogin) => {
  let gw: TestGateway;
  let needles: Needle[];
  let agent: string;
  let dbaClient: pg.Client;
  let dbaQuery: Promise<unknown>;

  beforeAll(async () => {
    rmSync(COPY_FILE, { force: true });
    await loadClinicFixture();
    needles = await clinicNeedles();
    gw = await startGateway({ agentLogin });
    agent = await gw.token('agent-1', ['agents']);
    // Another session's statement text holds PHI: a superuser-like login would read it in pg_stat_activity.
    dbaClient = new pg.Client({ host: '127.0.0.1', port: gw.port, user: 'dba-1', database: gw.libpqEnv('').PGDATABASE, password: await gw.token('dba-1', ['dba']) });
    await dbaClient.connect();
    dbaQuery = dbaClient.query("SELECT pg_sleep(30), 'Ada Quintero 900-11-0001' AS note").catch(() => undefined);
  });
  afterAll(async () => {
    await dbaClient?.end().catch(() => undefined);
    void dbaQuery;
    await gw?.stop();
  });

  it.each(PG_ATTACKS)('no raw PHI and nothing written: %s', async (sql) => {
    const r = await psql(gw, agent, 'agent-1', sql);
    const received = r.stdout + r.stderr;
    expect(leaks(received, needles), received).toEqual([]);
    expect(r.stderr).not.toMatch(/FATAL|server closed the connection/);
    expect(existsSync(COPY_FILE)).toBe(false);
    expect(await direct('SELECT count(*) FROM clinic.clinics')).toBe('2');
    expect(await direct("SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'clinic'")).toBe('3');
    expect(await direct("SELECT count(*) FROM pg_catalog.pg_largeobject_metadata")).toBe('0');
  });

  it('no raw PHI from pg_stat_activity through the extended protocol (node pg, parameters)', async () => {
    const c = new pg.Client({ host: '127.0.0.1', port: gw.port, user: 'agent-1', database: gw.libpqEnv('').PGDATABASE, password: agent });
    await c.connect();
    try {
      const texts: string[] = [];
      for (const sql of ['SELECT query FROM pg_stat_activity WHERE pid <> $1', 'SELECT query FROM pg_catalog.pg_stat_get_activity(NULL) WHERE pid <> $1']) {
        texts.push(await c.query(sql, [0]).then((r) => JSON.stringify(r.rows), (e: Error) => e.message));
      }
      expect(leaks(texts.join('\n'), needles), texts.join('\n')).toEqual([]);
    } finally {
      await c.end();
    }
  });

  it('still reads masked rows', async () => {
    const r = await psql(gw, agent, 'agent-1', 'SELECT id, ssn FROM clinic.patients ORDER BY id LIMIT 5');
    expect(r.stdout, r.stderr).toContain('(5 rows)');
  });
});

const MY_FILE = '/tmp/sqlveil-h4-least-privilege-my.txt';
const MY_LOCK_DB = 'sqlveil_least_privilege';

const MY_ATTACKS = [
  "SELECT LOAD_FILE('/etc/passwd')",
  `SELECT ssn, full_name FROM clinic.patients INTO OUTFILE '${MY_FILE}'`,
  `SELECT ssn FROM clinic.patients LIMIT 1 INTO DUMPFILE '${MY_FILE}'`,
  'SELECT ssn, full_name, email, dob FROM clinic.patients ORDER BY id LIMIT 10',
  'SELECT INFO FROM information_schema.PROCESSLIST',
  'SHOW FULL PROCESSLIST',
  'SELECT `INFO` FROM `information_schema`.`processlist`',
  'SELECT p.INFO FROM clinic.clinics c JOIN information_schema.PROCESSLIST p ON 1 = 1',
  'SELECT trx_query FROM information_schema.INNODB_TRX',
  'SELECT PROCESSLIST_INFO FROM performance_schema.threads',
  'SELECT * FROM sys.processlist',
  'SHOW ENGINE INNODB STATUS',
  "INSERT INTO clinic.clinics VALUES (99, 'x', 'y')",
  'CREATE TABLE clinic.stolen AS SELECT * FROM clinic.patients',
];

describe.each(AGENT_LOGINS)('MySQL attacks as agent (upstream login: %s)', (agentLogin: AgentLogin) => {
  let gw: MysqlTestGateway;
  let needles: Needle[];
  let agent: string;
  let dba: mysql.Connection;

  beforeAll(async () => {
    rmSync(MY_FILE, { force: true });
    await loadMysqlClinic();
    await ensureMysqlAgentLogin();
    needles = await clinicNeedles(); // the same fixture values as the PostgreSQL one
    gw = await startMysqlGateway({ rules: join(ROOT, 'rules/hipaa.yaml'), gate: undefined, agentLogin });
    agent = await gw.token('agent-1', ['agents']);
    const dbaToken = await gw.token('dba-1', ['dba']);
    dba = await mysql.createConnection({ host: '127.0.0.1', port: gw.myPort, user: 'dba-1', password: dbaToken, database: 'clinic', authPlugins: { mysql_clear_password: () => () => Buffer.from(dbaToken + '\0') } });
    // In a transaction that touched InnoDB, so information_schema.INNODB_TRX shows the statement too.
    // Its own database: a lock on the shared clinic database would hold up other runs' fixture loads.
    await myDirect(`CREATE DATABASE IF NOT EXISTS ${MY_LOCK_DB}; CREATE TABLE IF NOT EXISTS ${MY_LOCK_DB}.t (id int PRIMARY KEY) ENGINE=InnoDB; INSERT IGNORE INTO ${MY_LOCK_DB}.t VALUES (1)`);
    await dba.query('BEGIN');
    await dba.query(`SELECT id FROM ${MY_LOCK_DB}.t FOR UPDATE`);
    void dba.query("SELECT SLEEP(30), 'Ada Quintero 900-11-0001' AS note").catch(() => undefined);
  });
  afterAll(async () => {
    dba?.destroy();
    await gw?.stop();
    await myDirect(`DROP DATABASE IF EXISTS ${MY_LOCK_DB}`);
  });

  it.each(MY_ATTACKS)('no raw PHI and nothing written: %s', async (sql) => {
    const r = await gw.mariadb(agent, ['--force', '-e', sql], { user: 'agent-1' });
    const received = r.stdout + r.stderr;
    expect(leaks(received, needles), received).toEqual([]);
    expect(existsSync(MY_FILE)).toBe(false);
    // Only this test's own marks: other test runs share the MariaDB clinic database.
    expect(await myDirect('SELECT count(*) FROM clinics WHERE id = 99', 'clinic')).toBe('0');
    expect(await myDirect("SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'clinic' AND TABLE_NAME = 'stolen'")).toBe('0');
  });
});
