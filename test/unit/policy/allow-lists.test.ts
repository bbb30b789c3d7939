// Allow lists for functions and settings (issue 13): what is not named is refused by name, block
// lists still win, observe mode still only records, and the analysis of real statements of both
// dialects feeds them (functions in every position, every way to change a setting).
import { afterAll, describe, expect, it } from 'vitest';
import { decideStartupSettings, decideStatement } from '../../../src/policy/decide.js';
import { functionAllowedBy, settingAllowedBy, tableAllowedBy } from '../../../src/policy/name-patterns.js';
import { createMysqlAnalyzer } from '../../../src/sql/mysql-analyzer.js';
import { createPgAnalyzer } from '../../../src/sql/pg-analyzer.js';
import type { StatementAnalysis } from '../../../src/sql/analysis.js';
import { analysis, expectAllow, expectDeny, policyOf, removeRulesDir, statement } from './helpers.js';

afterAll(removeRulesDir);

const policy = policyOf(`policy:
  roles:
    agent:
      allow: [select, explain, transaction, session]
      block:
        functions: [lower_evil]
      functions:
        describe: aggregates and string functions
        allow: [count, lower, "lower_*", "information_schema._pg_*", "pg_catalog.format_type"]
      settings:
        allow: [application_name, statement_timeout, "names"]
    dba:
      allow: all
`);

const observed = policyOf(`policy:
  roles:
    agent:
      allow: [select, session]
      functions: { allow: [count] }
      settings: { allow: [application_name] }
      observe: [functions, settings]
`);

describe('function allow list', () => {
  it('allows listed built-ins, unqualified or in pg_catalog', () => {
    expectAllow(decideStatement(policy, 'agent', analysis(statement({ functions: ['count', 'pg_catalog.lower', 'format_type'] }))));
  });

  it('refuses an unlisted function by name, saying what is allowed and whom to ask', () => {
    const denial = expectDeny(decideStatement(policy, 'agent', analysis(statement({ functions: ['count', 'pg_notify'] }))));
    expect(denial.rule).toBe('functions.allow');
    expect(denial.sqlState).toBe('42501');
    expect(denial.message).toBe('sqlveil: function pg_notify is not allowed for role agent (rule: policy.roles.agent.functions.allow)');
    expect(denial.hint).toContain('the allowed functions are aggregates and string functions');
    expect(denial.hint).toContain('ask an administrator to add it to policy.roles.agent.functions.allow');
  });

  it('does not let a bare pattern allow a same-named function of another schema', () => {
    expectDeny(decideStatement(policy, 'agent', analysis(statement({ functions: ['clinic.lower'] }))));
    expect(functionAllowedBy('lower', 'clinic.lower')).toBe(false);
    expect(functionAllowedBy('information_schema._pg_*', 'information_schema._pg_expandarray')).toBe(true);
    expect(functionAllowedBy('information_schema._pg_*', '_pg_expandarray')).toBe(false);
    expect(functionAllowedBy('pg_catalog.format_type', 'format_type')).toBe(true);
    // PostgreSQL keeps a quoted name's case: "Count" is not count.
    expect(functionAllowedBy('count', 'Count')).toBe(false);
  });

  it('lets block.functions win over the allow list', () => {
    const denial = expectDeny(decideStatement(policy, 'agent', analysis(statement({ functions: ['lower_evil'] }))));
    expect(denial.rule).toBe('block.functions');
  });

  it('applies only to roles that have one', () => {
    expectAllow(decideStatement(policy, 'dba', analysis(statement({ functions: ['pg_notify', 'pg_advisory_lock'] }))));
  });

  it('is recorded, not applied, when observed', () => {
    const decision = expectAllow(decideStatement(observed, 'agent', analysis(statement({ functions: ['pg_sleep'], settings: ['role'] }))));
    expect(decision.observed.map((o) => o.rule)).toEqual(['functions.allow', 'settings.allow']);
  });
});

describe('settings allow list', () => {
  it('refuses a setting not on the list, naming it and the allowed ones', () => {
    const denial = expectDeny(decideStatement(policy, 'agent', analysis(statement({ kind: 'session', settings: ['search_path'] }))));
    expect(denial.rule).toBe('settings.allow');
    expect(denial.message).toBe('sqlveil: changing setting search_path is not allowed for role agent (rule: policy.roles.agent.settings.allow)');
    expect(denial.hint).toContain('application_name, statement_timeout, names');
  });

  it('matches names case-insensitively and refuses a name it cannot know', () => {
    expect(settingAllowedBy('application_name', 'Application_Name')).toBe(true);
    const denial = expectDeny(decideStatement(policy, 'agent', analysis(statement({ settings: ['*'] }))));
    expect(denial.message).toContain('a setting named by an expression');
  });

  it('decides startup parameters like SET', () => {
    expect(decideStartupSettings(policy, 'agent', ['application_name', 'statement_timeout'])).toBeUndefined();
    const denial = decideStartupSettings(policy, 'agent', ['application_name', 'search_path']);
    expect(denial?.rule).toBe('settings.allow');
    expect(denial?.message).toContain('setting search_path');
    expect(decideStartupSettings(policy, 'dba', ['search_path'])).toBeUndefined();
    expect(decideStartupSettings(observed, 'agent', ['search_path'])).toBeUndefined(); // observed
  });
});

describe('catalog allow list', () => {
  it('matches information_schema relations in any case (MySQL folds them)', () => {
    expect(tableAllowedBy('information_schema.tables', { schema: 'INFORMATION_SCHEMA', name: 'TABLES' })).toBe(true);
    expect(tableAllowedBy('information_schema.tables', { schema: 'INFORMATION_SCHEMA', name: 'PROCESSLIST' })).toBe(false);
    expect(tableAllowedBy('clinic.*', { schema: 'CLINIC', name: 'patients' })).toBe(false);
  });
});

function only(result: StatementAnalysis): { functions: string[]; settings: string[] | undefined; kind: string; tables: string[] } {
  if (!result.ok) expect.fail(`analysis failed: ${result.error}`);
  const s = result.statements[0]!;
  return { functions: s.functions, settings: s.settings, kind: s.kind, tables: s.tablesRead.map((t) => `${t.schema}.${t.name}`) };
}

describe('PostgreSQL analysis for the allow lists', async () => {
  const pg = await createPgAnalyzer();
  const ctx = { searchPath: ['public'] };
  const fns = (sql: string) => only(pg.analyze(sql, ctx)).functions;

  it.each([
    ["SELECT pg_notify('c', ssn) FROM clinic.patients LIMIT 1", 'pg_notify'],
    ['SELECT * FROM pg_advisory_lock(1)', 'pg_advisory_lock'],
    ['SELECT 1 FROM clinic.patients p, LATERAL pg_sleep(1) s LIMIT 1', 'pg_sleep'],
    ['SELECT * FROM ROWS FROM (pg_sleep(1), generate_series(1, 2))', 'pg_sleep'],
    ['SELECT (SELECT pg_sleep(1))', 'pg_sleep'],
    ['SELECT 1 WHERE EXISTS (SELECT pg_try_advisory_lock(2))', 'pg_try_advisory_lock'],
    ['SELECT count(*) FILTER (WHERE pg_sleep(1) IS NULL) FROM clinic.patients', 'pg_sleep'],
    ['SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY pg_backend_pid()) FROM clinic.patients', 'percentile_cont'],
    ['SELECT 1 ORDER BY pg_sleep(1)', 'pg_sleep'],
    ['SELECT 1 GROUP BY pg_sleep(1)', 'pg_sleep'],
    ['VALUES (pg_sleep(1))', 'pg_sleep'],
    ['WITH x AS (SELECT pg_sleep(1)) SELECT * FROM x', 'pg_sleep'],
    ['EXPLAIN SELECT pg_sleep(1)', 'pg_sleep'],
    ["COPY (SELECT pg_notify('c', 'x')) TO STDOUT", 'pg_notify'],
    ['CALL some_proc(1)', 'some_proc'],
    ['SELECT "PG_SLEEP"(1)', 'PG_SLEEP'],
    ["SELECT set_config('role', 'postgres', false)", 'set_config'],
  ])('%s calls %s', (sql, fn) => {
    expect(fns(sql)).toContain(fn);
  });

  it.each([
    ['SET search_path = pg_catalog, clinic', ['search_path']],
    ['SET "Search_Path" = clinic', ['search_path']],
    ["SET LOCAL statement_timeout = '1s'", ['statement_timeout']],
    ['SET SESSION AUTHORIZATION DEFAULT', ['session_authorization']],
    ['SET ROLE postgres', ['role']],
    ['RESET ROLE', ['role']],
    ["SET TIME ZONE 'UTC'", ['timezone']],
    ["SET NAMES 'UTF8'", ['client_encoding']],
    ["SET SCHEMA 'clinic'", ['search_path']],
    ['SET x.y FROM CURRENT', ['x.y']],
    ["SELECT set_config('Search_Path', 'clinic', false)", ['search_path']],
    ["SELECT set_config(current_user, 'a b', false)", ['*']],
    ['RESET ALL', undefined],
    ['SET TRANSACTION ISOLATION LEVEL SERIALIZABLE', undefined],
  ] as const)('%s sets %j', (sql, settings) => {
    expect(only(pg.analyze(sql, ctx)).settings).toEqual(settings);
  });

  it('calls LISTEN, NOTIFY and UNLISTEN notify statements', () => {
    for (const sql of ['LISTEN c', "NOTIFY c, 'x'", 'UNLISTEN *']) expect(only(pg.analyze(sql, ctx)).kind, sql).toBe('notify');
  });
});

describe('MySQL analysis for the allow lists', async () => {
  const my = await createMysqlAnalyzer();
  const ctx = { searchPath: [], database: 'clinic' };
  const one = (sql: string) => only(my.analyze(sql, ctx));

  it.each([
    ['SELECT SLEEP(1)', 'sleep'],
    ['SELECT BENCHMARK(10, MD5(1))', 'benchmark'],
    ["SELECT GET_LOCK(ssn, 0) FROM patients LIMIT 1", 'get_lock'],
    ["SELECT * FROM patients WHERE IS_FREE_LOCK('x') LIMIT 1", 'is_free_lock'],
    ['SELECT MASTER_POS_WAIT(1, 2)', 'master_pos_wait'],
  ])('%s calls %s', (sql, fn) => {
    expect(one(sql).functions).toContain(fn);
  });

  it.each([
    ["SET @@session.time_zone = '+00:00'", ['time_zone']],
    ['SET SESSION wait_timeout = 10', ['wait_timeout']],
    ['SET @@wait_timeout = 10, @a = 1', ['wait_timeout']],
    ['SET GLOBAL wait_timeout = 10', ['global.wait_timeout']],
    ['SET @@global.wait_timeout = 10', ['global.wait_timeout']],
    ['SET character_set_results = utf16', ['character_set_results']],
    ['SET NAMES utf8mb4', ['names']],
    ['SET CHARACTER SET utf8mb4', ['charset']],
    ['SET SESSION time_zone = DEFAULT', ['time_zone']],
    ['SET time_zone = DEFAULT', ['time_zone']],
    ['SET GLOBAL time_zone = DEFAULT', ['global.time_zone']],
    ['SET ROLE ALL', ['role']],
    ["SET @v = 'global'", undefined],
  ] as const)('%s sets %j', (sql, settings) => {
    expect(one(sql).settings).toEqual(settings);
  });

  it.each([
    ['SHOW PROCESSLIST', 'session', ['information_schema.processlist']],
    ['SHOW FULL PROCESSLIST', 'session', ['information_schema.processlist']],
    ['SHOW TABLES', 'session', ['information_schema.tables']],
    ['SHOW GLOBAL STATUS', 'session', ['information_schema.global_status']],
    ['SHOW ENGINE INNODB STATUS', 'admin', []],
    ['SHOW BINLOG EVENTS', 'admin', []],
    ['SHOW MASTER STATUS', 'admin', []],
    ['SHOW WARNINGS', 'session', []],
  ] as const)('%s is %s reading %j', (sql, kind, tables) => {
    const s = one(sql);
    expect(s.kind).toBe(kind);
    expect(s.tables).toEqual(tables);
  });
});
