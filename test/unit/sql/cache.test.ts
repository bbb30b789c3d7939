// Literal-dependent facts on the cache-hit path: the cached template says "literal #k", and the
// value comes from the string being analysed now.
import { beforeEach, describe, expect, it } from 'vitest';
import type { PgStatementAnalyzer } from '../../../src/sql/pg-analyzer.js';
import { analyzer, context, statementsOf } from './helpers.js';

let pg: PgStatementAnalyzer;
beforeEach(async () => {
  pg = await analyzer(); // a fresh cache per test
});

const first = (sql: string, searchPath: readonly string[] = context.searchPath) => statementsOf(pg.analyze(sql, { searchPath }))[0]!;

describe('literal-dependent facts on cache hits', () => {
  it('takes LIMIT from the current string', () => {
    expect(first('SELECT * FROM patients LIMIT 10').limit).toBe(10);
    expect(first('SELECT * FROM patients LIMIT 100000').limit).toBe(100000);
    expect(first('select * from patients limit 7').limit).toBe(7);
    expect(pg.stats()).toMatchObject({ hits: 2, misses: 1 });
  });

  it('takes FETCH FIRST from the current string', () => {
    expect(first('SELECT * FROM t FETCH FIRST 5 ROWS ONLY').limit).toBe(5);
    expect(first('SELECT * FROM t FETCH FIRST 500 ROWS ONLY').limit).toBe(500);
    expect(first('SELECT * FROM t FETCH FIRST ROW ONLY').limit).toBe(1);
    expect(pg.stats().hits).toBe(1);
  });

  it('bounds a plain aggregate query to one row', () => {
    for (const sql of [
      'select count(*) from (select id, ssn from patients) t',
      'select count(*)::int, max(dob), string_agg(ssn, \',\') from patients',
      'select pg_catalog.sum(balance) from patients where id > 3',
    ]) {
      expect(first(sql).limit, sql).toBe(1);
    }
    for (const sql of [
      'select count(*) from patients group by dob',
      'select count(*) over () from patients',
      'select count(*), generate_series(1, 5) from patients',
      'select count(*) from patients union all select count(*) from patients',
      'select public.count(x) from patients',
      'select id from patients',
    ]) {
      expect(first(sql).limit, sql).toBeUndefined();
    }
  });

  it('has no limit for LIMIT ALL, parameters, expressions and WITH TIES', () => {
    for (const sql of ['select 1 limit all', 'select 1 limit $1', 'select 1 limit 5 + 5', 'select 1 order by 1 fetch first 5 rows with ties', 'select 1']) {
      expect(first(sql).limit, sql).toBeUndefined();
      expect(first(sql).limit, sql).toBeUndefined();
    }
  });

  it('re-parses a LIMIT it cannot tie to a literal', () => {
    expect(first('select 1 limit -5').limit).toBe(-5);
    expect(first('select 1 limit -6').limit).toBe(-6);
    expect(pg.stats().hits).toBe(0);
  });

  it('reads literals at byte-correct positions in non-ASCII strings', () => {
    expect(first("select 'é€😀', x from t limit 5").limit).toBe(5);
    expect(first("select 'ab', x from t limit 9").limit).toBe(9);
    expect(pg.stats().hits).toBe(1);
  });

  it('takes search_path values from the current string', () => {
    expect(first("SET search_path = 'clinic', public").setsSearchPath).toEqual(['clinic', 'public']);
    expect(first("SET search_path = 'evil', public").setsSearchPath).toEqual(['evil', 'public']);
    expect(first('SET search_path TO "Mixed", $$dollar$$').setsSearchPath).toEqual(['Mixed', 'dollar']);
    expect(first('SET search_path TO DEFAULT').setsSearchPath).toEqual([]);
    expect(first('RESET search_path').setsSearchPath).toEqual([]);
    expect(first("SET search_path = E'esc'").setsSearchPath).toEqual(['esc']);
    expect(first("SET search_path = E'other'").setsSearchPath).toEqual(['other']);
  });

  it('never caches set_config, whose setting name is a literal', () => {
    expect(first("select set_config('search_path', 'a, \"B\"', false)").setsSearchPath).toEqual(['a', 'B']);
    expect(first("select set_config('application_name', 'x', false)").setsSearchPath).toBeUndefined();
    expect(first("select set_config('search_path', 'c', false)").setsSearchPath).toEqual(['c']);
    expect(first("select set_config('search_path', $1, false)").setsSearchPath).toEqual([]);
    expect(pg.stats().hits).toBe(0);
  });

  it('never caches an explicit EXPLAIN ANALYZE value', () => {
    expect(first("EXPLAIN (ANALYZE 'off') DELETE FROM t").kind).toBe('explain');
    expect(first("EXPLAIN (ANALYZE 'on') DELETE FROM t").kind).toBe('delete');
    expect(first("EXPLAIN (ANALYZE 'no') DELETE FROM t").kind).toBe('explain');
    expect(first('EXPLAIN (ANALYZE 1) DELETE FROM t').kind).toBe('delete');
    expect(first('EXPLAIN (ANALYZE 0) DELETE FROM t').kind).toBe('explain');
  });

  it('resolves unqualified tables with each call’s search path', () => {
    expect(first('select name from patients where id = 1', ['clinic']).tablesRead).toEqual([{ schema: 'clinic', name: 'patients' }]);
    const hit = first('select name from patients where id = 2', ['"$user"', '$user', 'ward7']);
    expect(hit.tablesRead).toEqual([{ schema: 'ward7', name: 'patients' }]);
    expect(hit.columns?.[0]?.sources).toEqual([{ table: { schema: 'ward7', name: 'patients' }, column: 'name' }]);
    expect(first('select name from patients where id = 3', []).tablesRead).toEqual([{ name: 'patients' }]);
    expect(first('select relname from pg_class', ['clinic']).tablesRead).toEqual([{ schema: 'pg_catalog', name: 'pg_class' }]);
    expect(pg.stats().hits).toBe(2);
  });

  it('decides the catalog-write flag per call', () => {
    expect(first('update settings set v = 1 where k = 2', ['app']).flags).toEqual([]);
    expect(first('update settings set v = 1 where k = 3', ['pg_catalog']).flags).toEqual(['system-catalog-write']);
  });

  it('does not let a caller change a cached analysis', () => {
    const a = first('select name from patients where id = 1');
    expect(() => a.tablesRead.push({ name: 'tampered' })).toThrow(TypeError);
    expect(() => a.flags.push('multi-statement')).toThrow(TypeError);
    expect(() => {
      a.columns![0]!.sources.length = 0;
    }).toThrow(TypeError);
    const b = first('select name from patients where id = 2');
    expect(b.tablesRead).toEqual([{ schema: 'public', name: 'patients' }]);
    expect(b.flags).toEqual([]);
    expect(b.columns![0]!.sources).toHaveLength(1);
  });

  it('counts strings it could not cache', () => {
    first("select 'a\\b'");
    first("select 'a\\b'");
    expect(pg.stats()).toMatchObject({ uncacheable: 2, hits: 0, entries: 0 });
  });
});
