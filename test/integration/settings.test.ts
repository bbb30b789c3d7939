// Settings a restricted role may change are an allow list (rules/hipaa.yaml
// policy.roles.agent.settings.allow). Every way to change one is tried for role agent: SET,
// SET LOCAL inside a transaction, SET SESSION, quoted names, RESET, set_config(), startup
// parameters and PGOPTIONS, MySQL SET @@x / SESSION / GLOBAL / NAMES / CHARACTER SET; what is not
// on the list is refused by name (the session stays usable, nothing reaches the server), what
// is on it works, and dba may change any of them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { loadClinicFixture, PG, ROOT, run, startGateway, type TestGateway } from './harness.js';
import { clinicNeedles, leaks, needlesFromRows, type Needle } from './leak-check.js';
import { loadMysqlClinic, myDirect, startMysqlGateway, type MysqlTestGateway } from './mysql-harness.js';

async function attempt(run: () => Promise<unknown>): Promise<{ ok: boolean; text: string }> {
  try {
    return { ok: true, text: JSON.stringify(await run()) };
  } catch (err) {
    const e = err as { message?: string; hint?: string };
    return { ok: false, text: `${e.message ?? ''} ${e.hint ?? ''}` };
  }
}

describe('settings allow list (PostgreSQL)', () => {
  let gw: TestGateway;
  let needles: Needle[];
  let agentToken: string;
  let dbaToken: string;
  let agent: pg.Client;
  let dba: pg.Client;

  const client = async (user: string, token: string, options?: string) => {
    const c = new pg.Client({ host: '127.0.0.1', port: gw.port, user, password: token, database: PG.database, ...(options === undefined ? {} : { options }) });
    await c.connect();
    return c;
  };
  /** The server's own value of a setting, in the agent's session. */
  const serverValue = async (c: pg.Client, name: string) => ((await c.query(`SELECT current_setting('${name}') AS v`)).rows[0] as { v: string }).v;

  beforeAll(async () => {
    await loadClinicFixture();
    needles = await clinicNeedles();
    gw = await startGateway();
    agentToken = await gw.token('agent-1', ['agents']);
    dbaToken = await gw.token('dba-1', ['dba']);
    agent = await client('agent-1', agentToken);
    dba = await client('dba-1', dbaToken);
  });
  afterAll(async () => {
    await agent?.end().catch(() => undefined);
    await dba?.end().catch(() => undefined);
    await gw?.stop();
  });

  const refused: [string, RegExp][] = [
    ['SET search_path = pg_catalog, clinic', /setting search_path is not allowed/],
    ['SET search_path TO clinic', /search_path/],
    ['SET SESSION search_path = clinic', /search_path/],
    ['SET "Search_Path" = clinic', /search_path/],
    ["SET SCHEMA 'clinic'", /search_path/],
    ['RESET search_path', /search_path/],
    ["SELECT set_config('search_path', 'clinic', false)", /set_config|search_path/],
    ["SELECT set_config('role', 'postgres', false)", /set_config|role/],
    ['SET ROLE postgres', /setting role is not allowed/],
    ['RESET ROLE', /setting role/],
    ['SET SESSION AUTHORIZATION postgres', /setting session_authorization/],
    ['SET SESSION AUTHORIZATION DEFAULT', /session_authorization/],
    ["SET work_mem = '1GB'", /setting work_mem/],
    ["SET log_statement = 'none'", /log_statement/],
    ["SET custom.channel = 'x'", /setting custom\.channel/],
    ["SET default_transaction_read_only = off", /default_transaction_read_only/],
    ["SET row_security = off", /row_security/],
    ['SET search_path = clinic; SELECT ssn, full_name FROM patients LIMIT 10', /search_path/],
    ["SELECT 1; SET LOCAL search_path = clinic", /search_path/],
  ];

  it.each(refused)('agent: %s is refused', async (sql, message) => {
    const before = await serverValue(agent, 'search_path');
    const r = await attempt(() => agent.query(sql));
    expect(r.ok, r.text).toBe(false);
    expect(r.text).toMatch(message);
    expect(r.text).toMatch(/policy\.roles\.agent\.(settings\.allow|functions\.allow|block\.functions)/);
    expect(leaks(r.text, needles)).toEqual([]);
    expect(await serverValue(agent, 'search_path')).toBe(before);
    expect(await serverValue(agent, 'is_superuser')).toBeDefined();
  });

  it('agent: the refusal lists what may be changed', async () => {
    const r = await attempt(() => agent.query('SET search_path = clinic'));
    expect(r.text).toContain('settings this role may change: application_name, statement_timeout');
  });

  it('agent: SET LOCAL inside a transaction is refused, then unqualified names still miss clinic', async () => {
    await agent.query('BEGIN');
    const r = await attempt(() => agent.query('SET LOCAL search_path = pg_catalog, clinic'));
    expect(r.ok).toBe(false);
    expect(r.text).toMatch(/search_path/);
    await agent.query('ROLLBACK');
    const unqualified = await attempt(() => agent.query('SELECT ssn, full_name FROM patients LIMIT 5'));
    expect(unqualified.ok, unqualified.text).toBe(false);
    expect(leaks(unqualified.text, needles)).toEqual([]);
  });

  it('agent: the same refusals through named prepared statements (extended protocol)', async () => {
    for (const [i, sql] of ['SET search_path = clinic', 'SET ROLE postgres', "SELECT set_config('search_path', 'clinic', true)"].entries()) {
      const r = await attempt(() => agent.query({ name: `set_${i}`, text: sql }));
      expect(r.ok, `${sql}: ${r.text}`).toBe(false);
    }
    expect(await serverValue(agent, 'search_path')).not.toContain('clinic');
  });

  it('agent: allowed settings work (SET, SET LOCAL, RESET, SET TIME ZONE)', async () => {
    await agent.query("SET statement_timeout = '5s'");
    expect(await serverValue(agent, 'statement_timeout')).toBe('5s');
    await agent.query('BEGIN');
    await agent.query("SET LOCAL lock_timeout = '2s'");
    expect(await serverValue(agent, 'lock_timeout')).toBe('2s');
    await agent.query('COMMIT');
    await agent.query("SET application_name = 'agent-tool'");
    await agent.query("SET TIME ZONE 'UTC'");
    await agent.query('RESET statement_timeout');
    await agent.query('RESET ALL');
    expect(await serverValue(agent, 'TimeZone')).toBeDefined();
  });

  it('startup parameters: search_path and role in PGOPTIONS / options are refused for agent at login', async () => {
    const env = { ...gw.libpqEnv(agentToken) };
    for (const options of ['-c search_path=clinic', '--search_path=pg_catalog,clinic', '-c work_mem=1GB']) {
      const r = await run('psql', ['-X', '-tA', '-U', 'agent-1', '-c', 'SELECT ssn FROM patients LIMIT 1'], { env: { ...env, PGOPTIONS: options } });
      expect(r.code, r.stdout + r.stderr).not.toBe(0);
      expect(r.stderr).toMatch(/FATAL: .*setting (search_path|work_mem) is not allowed for role agent .*startup parameter/);
      expect(leaks(r.stdout + r.stderr, needles)).toEqual([]);
    }
    // And as a startup parameter of its own (node-postgres `options`).
    const c = await attempt(() => client('agent-1', agentToken, '-c search_path=clinic'));
    expect(c.ok).toBe(false);
    expect(c.text).toMatch(/search_path/);
    // Allowed ones pass.
    const ok = await run('psql', ['-X', '-tA', '-U', 'agent-1', '-c', 'SHOW statement_timeout'], { env: { ...env, PGOPTIONS: '-c statement_timeout=7s' } });
    expect(ok.stdout.trim(), ok.stderr).toBe('7s');
  });

  it('dba may change any of them', async () => {
    await dba.query('SET search_path = clinic, public');
    expect((await dba.query('SELECT count(*)::int AS n FROM patients')).rows[0].n).toBe(5);
    await dba.query('BEGIN');
    await dba.query('SET LOCAL search_path = pg_catalog, clinic');
    await dba.query('COMMIT');
    await dba.query("SET work_mem = '8MB'");
    await dba.query('SET ROLE postgres');
    await dba.query('RESET ROLE');
    await dba.query("SELECT set_config('application_name', 'dba-tool', false)");
    const r = await run('psql', ['-X', '-tA', '-U', 'dba-1', '-c', 'SHOW search_path'], { env: { ...gw.libpqEnv(dbaToken), PGOPTIONS: '-c search_path=clinic' } });
    expect(r.stdout.trim(), r.stderr).toBe('clinic');
  });
});

describe('settings allow list (MySQL)', () => {
  let gw: MysqlTestGateway;
  let needles: Needle[];
  let agentToken: string;
  let dbaToken: string;

  const connect = async (user: string, token: string) =>
    mysql.createConnection({
      host: '127.0.0.1', port: gw.myPort, user, password: token, database: 'clinic',
      authPlugins: { mysql_clear_password: () => () => Buffer.from(token + '\0') },
    });

  beforeAll(async () => {
    await loadMysqlClinic();
    const rows = await myDirect("SELECT CONCAT_WS('|', mrn, full_name, ssn, dob, email, phone, address) FROM patients WHERE ssn IS NOT NULL ORDER BY id", 'clinic');
    needles = needlesFromRows(rows.replaceAll('|', '\t'));
    gw = await startMysqlGateway({ rules: join(ROOT, 'rules/hipaa.yaml'), gate: undefined });
    agentToken = await gw.token('agent-1', ['agents']);
    dbaToken = await gw.token('dba-1', ['dba']);
  });
  afterAll(async () => gw?.stop());

  const refused: [string, RegExp][] = [
    ['SET character_set_results = utf16', /setting character_set_results is not allowed/],
    ["SET @@session.character_set_results = 'utf16'", /character_set_results/],
    ['SET SESSION character_set_results = utf32', /character_set_results/],
    ['SET @@character_set_results = ucs2', /character_set_results/],
    ['SET character_set_results = NULL', /character_set_results/],
    ['SET character_set_connection = utf16', /character_set_connection/],
    ['SET GLOBAL wait_timeout = 5', /setting global\.wait_timeout/],
    ['SET @@global.max_connections = 1', /global\.max_connections/],
    ['SET SESSION wait_timeout = 5, GLOBAL wait_timeout = 5', /global\.wait_timeout|could not be parsed/],
    ["SET optimizer_trace = 'enabled=on'", /optimizer_trace/],
    ['SET profiling = 1', /profiling/],
    ['SET sql_log_bin = 0', /sql_log_bin/],
    ['SET ROLE ALL', /setting role/],
    ['SET DEFAULT ROLE ALL TO CURRENT_USER', /not allowed/],
    ["SET autocommit = 1, @@session.character_set_results = 'latin1'", /character_set_results/],
    ['SET NAMES latin1', /not accepted|character/],
    ['SET NAMES utf16', /not accepted|character/],
    ['SET STATEMENT max_statement_time = 1 FOR SELECT ssn FROM patients LIMIT 1', /cannot parse|could not be parsed/],
  ];

  it.each(refused)('agent: %s is refused', async (sql, message) => {
    const c = await connect('agent-1', agentToken);
    try {
      const r = await attempt(() => c.query(sql));
      expect(r.ok, r.text).toBe(false);
      expect(r.text).toMatch(message);
      // Nothing reached the server: the result character set is still UTF-8, and rows come back masked.
      const [vars] = await c.query('SELECT @@character_set_results AS r, @@wait_timeout AS w');
      expect((vars as { r: string }[])[0]!.r).toMatch(/^utf8/);
      const [rows] = await c.query('SELECT ssn, full_name, notes FROM patients ORDER BY id LIMIT 5');
      expect(leaks(JSON.stringify(rows) + r.text, needles)).toEqual([]);
    } finally {
      await c.end();
    }
  });

  it('agent: SET character_set_results then a masked column, in one string, is refused as a whole', async () => {
    const c = await mysql.createConnection({
      host: '127.0.0.1', port: gw.myPort, user: 'agent-1', password: agentToken, database: 'clinic', multipleStatements: true,
      authPlugins: { mysql_clear_password: () => () => Buffer.from(agentToken + '\0') },
    });
    try {
      const r = await attempt(() => c.query('SET character_set_results = utf16; SELECT ssn, notes FROM patients LIMIT 5'));
      expect(r.ok).toBe(false);
      expect(leaks(r.text, needles)).toEqual([]);
    } finally {
      await c.end();
    }
  });

  it('agent: the mariadb client gets the same refusal', async () => {
    const r = await gw.mariadb(agentToken, ['-e', 'SET character_set_results = utf16; SELECT ssn FROM patients LIMIT 1'], { user: 'agent-1' });
    expect(r.stderr).toMatch(/character_set_results is not allowed for role agent/);
    expect(leaks(r.stdout + r.stderr, needles)).toEqual([]);
  });

  it('agent: allowed settings work', async () => {
    const c = await connect('agent-1', agentToken);
    try {
      await c.query('SET autocommit = 0');
      await c.query("SET @@session.time_zone = '+00:00'");
      await c.query('SET SESSION wait_timeout = 600');
      await c.query('SET max_statement_time = 30');
      await c.query('SET NAMES utf8mb4');
      await c.query('SET CHARACTER SET utf8mb4');
      await c.query('SET time_zone = DEFAULT');
      await c.query("SET @mine = 'user variables are not settings'");
      const [vars] = await c.query('SELECT @@autocommit AS a, @@wait_timeout AS w');
      expect((vars as { a: number; w: number }[])[0]).toEqual({ a: 0, w: 600 });
    } finally {
      await c.end();
    }
  });

  it('dba may change the result character set and read real values in it', async () => {
    const c = await connect('dba-1', dbaToken);
    try {
      await c.query('SET character_set_results = utf16');
      await c.query('SET character_set_results = utf8mb4');
      await c.query('SET SESSION wait_timeout = 100');
      const [rows] = await c.query('SELECT ssn FROM patients WHERE id = 1');
      expect((rows as { ssn: string }[])[0]!.ssn).toBe('900-11-0001');
    } finally {
      await c.end();
    }
  });
});
