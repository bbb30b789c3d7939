// The classic ways to get a write past a read-only check, each of which must be seen for what
// it does; and strings the analysis must refuse.
import { beforeAll, describe, expect, it } from 'vitest';
import type { RiskFlag, StatementKind } from '../../../src/sql/analysis.js';
import type { PgStatementAnalyzer } from '../../../src/sql/pg-analyzer.js';
import { analyzer, context, statementsOf } from './helpers.js';

let pg: PgStatementAnalyzer;
beforeAll(async () => {
  pg = await analyzer();
});

const cases: [string, StatementKind[], RiskFlag[]][] = [
  ['/* harmless */ DROP TABLE patients', ['ddl'], []],
  ['-- just a select\nDELETE FROM patients WHERE id = 1', ['delete'], []],
  ['/* /* nested */ still a comment */ TRUNCATE patients', ['truncate'], []],
  ['SELECT 1 /* /* */ ; DROP TABLE x; */', ['select'], []],
  ['COMMIT; DROP TABLE patients', ['transaction', 'ddl'], ['multi-statement']],
  ['SELECT 1; DELETE FROM patients', ['select', 'delete'], ['delete-without-where', 'multi-statement']],
  ['SELECT/**/1;DROP/**/TABLE/**/x', ['select', 'ddl'], ['multi-statement']],
  ['WITH d AS (DELETE FROM patients RETURNING *) SELECT * FROM d', ['delete'], ['data-modifying-cte', 'delete-without-where']],
  ['WITH x AS (SELECT 1), u AS (UPDATE patients SET ssn = NULL WHERE id = 2 RETURNING 1) SELECT * FROM x', ['update'], ['data-modifying-cte']],
  ['WITH i AS (INSERT INTO audit VALUES (1) RETURNING 1) SELECT * FROM i', ['insert'], ['data-modifying-cte']],
  ['SELECT * FROM (WITH d AS (DELETE FROM t RETURNING 1) SELECT * FROM d) s', ['delete'], ['data-modifying-cte', 'delete-without-where']],
  ['COPY (DELETE FROM patients WHERE id = 1 RETURNING *) TO STDOUT', ['delete'], []],
  ['EXPLAIN ANALYZE DELETE FROM patients', ['delete'], ['delete-without-where', 'explain-analyze']],
  ['EXPLAIN (ANALYZE, FORMAT JSON) UPDATE patients SET ward = 2 WHERE id = 1', ['update'], ['explain-analyze']],
  ['EXPLAIN (ANALYZE true) INSERT INTO patients VALUES (1)', ['insert'], ['explain-analyze']],
  ['EXPLAIN (ANALYZE off) DELETE FROM patients', ['explain'], ['delete-without-where']],
  ['DO $$ BEGIN DELETE FROM patients; END $$', ['procedural'], []],
  ["DO LANGUAGE plpgsql 'BEGIN EXECUTE ''DROP TABLE x''; END'", ['procedural'], []],
  ['CALL purge_patients()', ['procedural'], []],
  ['PREPARE p AS DELETE FROM patients; EXECUTE p', ['delete', 'session'], ['delete-without-where', 'dynamic-sql', 'multi-statement']],
  ['CREATE TABLE stolen AS EXECUTE p', ['ddl'], ['dynamic-sql']],
  ["SELECT 'a\\'; DELETE FROM patients; --'", ['select', 'delete'], ['delete-without-where', 'multi-statement']],
  ["SELECT E'\\'; DELETE FROM patients; --'", ['select'], []],
  ["SELECT $a$ $$ ; DROP TABLE x; $$ $a$", ['select'], []],
  ['SELECT * FROM patients FOR UPDATE SKIP LOCKED', ['select'], ['locking-read']],
  ["SELECT * FROM dblink('dbname=other', 'DELETE FROM patients') AS t(x text)", ['select'], ['dynamic-sql', 'network-access']],
];

describe('read-only bypasses', () => {
  it.each(cases)('%s', (sql, kinds, flags) => {
    const statements = statementsOf(pg.analyze(sql, context));
    expect(statements.map((statement) => statement.kind)).toEqual(kinds);
    expect([...new Set(statements.flatMap((statement) => statement.flags))].sort()).toEqual([...flags].sort());
  });

  it('sees the writes of a prepared statement when it is prepared', () => {
    const [prepare] = statementsOf(pg.analyze('PREPARE p AS DELETE FROM patients WHERE id = $1', context));
    expect(prepare!.tablesWritten).toEqual([{ schema: 'public', name: 'patients' }]);
  });

  it('resolves tables after a search_path change in the same string', () => {
    const statements = statementsOf(pg.analyze("SELECT set_config('search_path', 'evil', false); SELECT * FROM patients", context));
    expect(statements[0]!.setsSearchPath).toEqual(['evil']);
    expect(statements[1]!.tablesRead).toEqual([{ schema: 'evil', name: 'patients' }]);
  });
});

describe('refused strings', () => {
  it('reports a parse error with the parser message', () => {
    const analysis = pg.analyze('SELEC name FROM patients', context);
    expect(analysis).toMatchObject({ ok: false, dialect: 'postgres' });
    expect(!analysis.ok && analysis.error).toMatch(/syntax error at or near "SELEC"/);
  });

  it('refuses a NUL character, which would hide the rest of the string from the parser', () => {
    const analysis = pg.analyze('SELECT 1\0; DROP TABLE patients', context);
    expect(analysis.ok).toBe(false);
  });

  it('refuses an unterminated string', () => {
    expect(pg.analyze("SELECT 'abc", context).ok).toBe(false);
  });

  it('still analyses strings too long to cache', () => {
    const sql = `SELECT ${Array.from({ length: 8000 }, (_, i) => `c${i}`).join(', ')} FROM patients; DELETE FROM patients`;
    const statements = statementsOf(pg.analyze(sql, context));
    expect(statements.map((statement) => statement.kind)).toEqual(['select', 'delete']);
  });

  it('survives a deeply nested expression', () => {
    const sql = `SELECT ${'('.repeat(5000)}1${')'.repeat(5000)}`;
    const analysis = pg.analyze(sql, context);
    expect(typeof analysis.ok).toBe('boolean');
    expect(pg.analyze('SELECT 1', context).ok).toBe(true);
  });
});

describe('settings that would make the server read strings differently', () => {
  const refused = [
    'SET standard_conforming_strings = off',
    "SET standard_conforming_strings TO 'off'",
    'SET LOCAL standard_conforming_strings = false',
    "SELECT set_config('standard_conforming_strings', 'off', false)",
    'SELECT set_config($1, $2, false)',
    'ALTER ROLE agent SET standard_conforming_strings = off',
    'ALTER DATABASE clinic SET standard_conforming_strings = off',
    'ALTER SYSTEM SET standard_conforming_strings = off',
    "SET client_encoding = 'SJIS'",
    "SET NAMES 'GBK'",
    "SELECT 1; SET standard_conforming_strings = 'off'",
  ];
  it.each(refused)('refuses %s', (sql) => {
    const analysis = pg.analyze(sql, context);
    expect(analysis.ok).toBe(false);
    expect(!analysis.ok && analysis.error).toMatch(/standard_conforming_strings|client_encoding|set_config/);
  });

  it('allows keeping them as they are, and never caches the decision', () => {
    for (const sql of ["SET standard_conforming_strings = 'on'", "SET client_encoding = 'UTF8'", 'RESET client_encoding', "SELECT set_config('app.user', $1, true)"]) {
      expect(pg.analyze(sql, context).ok, sql).toBe(true);
    }
    expect(pg.analyze("SET standard_conforming_strings = 'off'", context).ok).toBe(false);
  });
});

describe('set_config with a setting named by a column', () => {
  it('allows a value no guarded setting could take (pg_dump sets a list this way)', () => {
    const a = pg.analyze("SELECT set_config(name, 'view, foreign-table', false) FROM pg_settings WHERE name = 'restrict_nonsystem_relation_kind'", context);
    expect(a.ok).toBe(true);
  });
  it('refuses a plain word that could turn standard_conforming_strings off', () => {
    const a = pg.analyze("SELECT set_config(name, 'off', false) FROM pg_settings WHERE name like 'standard%'", context);
    expect(a.ok).toBe(false);
  });
});
