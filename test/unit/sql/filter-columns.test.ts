// Which table columns a statement uses outside its output (StatementInfo.filterColumns), by both
// analyzers: the facts blind-inference admission decides on. Written `table.column@clause`.
import { beforeAll, describe, expect, it } from 'vitest';
import type { StatementInfo } from '../../../src/sql/analysis.js';
import { createMysqlAnalyzer, type MysqlStatementAnalyzer } from '../../../src/sql/mysql-analyzer.js';
import type { PgStatementAnalyzer } from '../../../src/sql/pg-analyzer.js';
import { analyzer, statementsOf } from './helpers.js';

let pg: PgStatementAnalyzer;
let my: MysqlStatementAnalyzer;
beforeAll(async () => {
  pg = await analyzer();
  my = await createMysqlAnalyzer();
});

const uses = (statement: StatementInfo | undefined): string[] =>
  (statement?.filterColumns ?? []).map((f) => `${f.table.schema ? `${f.table.schema}.` : ''}${f.table.name}.${f.column}@${f.clause}`).sort();
const pgUses = (sql: string): string[] => uses(statementsOf(pg.analyze(sql, { searchPath: [] })).at(-1));
const myUses = (sql: string): string[] => uses(statementsOf(my.analyze(sql, { searchPath: [] })).at(-1));

const both: [string, string, string[]][] = [
  ['WHERE', "select id from patients where ssn = 'x'", ['patients.ssn@where']],
  ['function in WHERE', "select id from patients where substr(ssn, 1, 3) = '900'", ['patients.ssn@where']],
  ['ORDER BY a column', 'select id from patients order by ssn', ['patients.ssn@order-by']],
  ['ORDER BY position', 'select id, ssn from patients order by 2', ['patients.ssn@order-by']],
  ['ORDER BY an output alias', 'select id, ssn as s from patients order by s', ['patients.s@order-by', 'patients.ssn@order-by']],
  ['JOIN ON', 'select p.id from patients p join visits v on v.name = p.full_name', ['patients.full_name@join', 'visits.name@join']],
  ['JOIN USING', 'select count(*) from patients join visits using (ssn)', ['patients.ssn@join', 'visits.ssn@join']],
  ['GROUP BY', 'select count(*) from patients group by dob', ['patients.dob@group-by']],
  ['HAVING', "select ward from patients group by ward having max(ssn) > 'x'", ['patients.ssn@having', 'patients.ward@group-by']],
  ['window', 'select id, row_number() over (partition by ward order by ssn) from patients', ['patients.ssn@window', 'patients.ward@window']],
  ['aggregate ORDER BY', 'select group_concat(id order by ssn) from patients', ['patients.ssn@order-by']],
  ['subquery in WHERE', "select id from wards where exists (select 1 from patients p where p.ssn = 'x')", ['patients.ssn@where']],
  // Without a catalog an unqualified name in a subquery may be the outer table's: both count.
  ['scalar subquery compared', "select id from wards where (select max(ssn) from patients) > 'x'", ['patients.ssn@where', 'wards.ssn@where']],
  ['IN subquery', "select id from wards where 'x' in (select ssn from patients)", ['patients.ssn@where', 'wards.ssn@where']],
  ['through a CTE', "with t as (select ssn as x from patients) select count(*) from t where x like '9%'", ['patients.ssn@where']],
  ['through a derived table', "select id from (select id, ssn as x from patients) t where t.x = 'y'", ['patients.ssn@where']],
  ['DISTINCT', 'select distinct dob from patients', ['patients.dob@distinct']],
  ['UNION compares, UNION ALL does not', "select ssn from patients union select 'x'", ['patients.ssn@set-operation']],
  ['UNION ALL', "select ssn from patients union all select 'x'", []],
  ['select list only', "select id, ssn, upper(ssn) from patients", []],
  ['CASE condition', "select id, ssn, case when ssn like '9%' then 1 end from patients", ['patients.ssn@condition']],
  ['UPDATE WHERE', "update patients set notes = 'x' where ssn = 'y'", ['patients.ssn@where']],
  ['DELETE WHERE', "delete from patients where ssn = 'y'", ['patients.ssn@where']],
];

describe('filter columns (PostgreSQL)', () => {
  it.each(both.map(([label, sql, expected]) => [label, sql.replace('group_concat(id order by ssn)', "string_agg(id::text, ',' order by ssn)"), expected] as const))('%s: %s', (_label, sql, expected) => {
    expect(pgUses(sql)).toEqual(expected);
  });

  it.each([
    ['count(DISTINCT x)', 'select count(distinct dob) from patients', ['patients.dob@aggregate']],
    ['aggregate FILTER', "select count(*) filter (where ssn like '9%') from patients", ['patients.ssn@aggregate']],
    ['DISTINCT ON', 'select distinct on (ssn) id from patients', ['patients.ssn@distinct']],
    ['INTERSECT', "select ssn from patients intersect select 'x'", ['patients.ssn@set-operation']],
    ['LIMIT by subquery', 'select id from wards limit (select length(ssn) from patients where id = 1)', ['patients.id@where', 'patients.ssn@limit', 'wards.id@where', 'wards.ssn@limit']],
    ['whole row', "select id from patients p where p::text like '%9%'", ['patients.*@where', 'patients.p@where']],
    ['NATURAL JOIN of tables: any column', 'select 1 from patients natural join visits', ['patients.*@join', 'visits.*@join']],
    ['NATURAL JOIN of known columns', 'select 1 from (select ssn, id from patients) a natural join (select ssn from visits) b', ['patients.ssn@join', 'visits.ssn@join']],
    ['GROUP BY ROLLUP', 'select count(*) from patients group by rollup (dob)', ['patients.dob@group-by']],
    ['WINDOW clause', 'select rank() over w from patients window w as (order by phone)', ['patients.phone@window']],
    ['EXPLAIN', "explain select id from patients where ssn = 'x'", ['patients.ssn@where']],
    ['MERGE', "merge into t using patients p on t.k = p.ssn when matched and p.dob > now() then delete", ['patients.dob@where', 'patients.ssn@join', 't.k@join']],
    ['lateral subquery', "select 1 from wards w, lateral (select 1 from patients p where p.ssn like '9%') x", ['patients.ssn@where']],
    ['recursive CTE is walked to its fixed point', "with recursive t(n, s) as (select 1, ssn from patients union all select n + 1, s from t where s like '9%') select n from t", ['patients.ssn@where']],
  ])('%s: %s', (_label, sql, expected) => {
    expect(pgUses(sql)).toEqual(expected);
  });
});

describe('filter columns (MySQL)', () => {
  it.each(both)('%s: %s', (_label, sql, expected) => {
    expect(myUses(sql)).toEqual(expected);
  });

  it.each([
    ['HAVING on an output alias', "select id, ssn as s from patients having s like '9%'", ['patients.s@having', 'patients.ssn@having']],
    ['IF() in WHERE', "select id from patients where if(ssn like '9%', 1, 0) = 1", ['patients.ssn@where']],
    ['DELETE ORDER BY', "delete from patients where id > 1 order by ssn limit 1", ['patients.id@where', 'patients.ssn@order-by']],
    // A user variable keeps a value for later statements, which read no table.
    ['assignment in the select list', 'select @v := ssn from patients', ['patients.ssn@variable']],
    ['SELECT ... INTO @v', 'select ssn, id into @a, @b from patients limit 1', ['patients.id@variable', 'patients.ssn@variable']],
    ['SET @v = (subquery)', 'set @v = (select ssn from patients limit 1)', ['patients.ssn@variable']],
    ['system variables are settings', 'set @@session.sql_select_limit = 10', []],
  ])('%s: %s', (_label, sql, expected) => {
    expect(myUses(sql)).toEqual(expected);
  });
});
