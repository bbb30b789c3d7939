// MySQL column lineage through every expression family (no current database, so tables are
// written `table.column`, or `db.table.column` when qualified).
import { beforeAll, describe, expect, it } from 'vitest';
import type { ColumnLineage } from '../../../src/sql/analysis.js';
import { createMysqlAnalyzer, type MysqlStatementAnalyzer } from '../../../src/sql/mysql-analyzer.js';
import { statementsOf } from './helpers.js';

let my: MysqlStatementAnalyzer;
beforeAll(async () => {
  my = await createMysqlAnalyzer();
});

interface Column {
  name: string;
  from: string[];
  opaque?: true;
}

function simplify(column: ColumnLineage): Column {
  const from = column.sources.map((source) => `${source.table.schema ? `${source.table.schema}.` : ''}${source.table.name}.${source.column}`).sort();
  return column.opaque ? { name: column.name, from, opaque: true } : { name: column.name, from };
}

function columns(sql: string): Column[] {
  const [statement] = statementsOf(my.analyze(sql, { searchPath: [] }));
  return (statement?.columns ?? []).map(simplify);
}

const cases: [string, string, Column[]][] = [
  ['plain column with alias', 'select name as n from patients', [{ name: 'n', from: ['patients.name'] }]],
  ['string alias', "select name 'full name' from patients", [{ name: 'full name', from: ['patients.name'] }]],
  ['qualified column', 'select p.ssn from clinic.patients p', [{ name: 'ssn', from: ['clinic.patients.ssn'] }]],
  ['function', 'select upper(name) from patients', [{ name: 'upper(name)', from: ['patients.name'] }]],
  ['CAST and CONVERT', 'select cast(ssn as char) as a, convert(dob, date) as b, convert(name using utf8mb4) as c from patients', [
    { name: 'a', from: ['patients.ssn'] },
    { name: 'b', from: ['patients.dob'] },
    { name: 'c', from: ['patients.name'] },
  ]],
  ['CONCAT and CONCAT_WS', "select concat(first_name, ' ', last_name) as f, concat_ws('-', a, b) as g from patients", [
    { name: 'f', from: ['patients.first_name', 'patients.last_name'] },
    { name: 'g', from: ['patients.a', 'patients.b'] },
  ]],
  ['arithmetic and JSON operators', "select weight / height as bmi, data->>'$.ssn' as s from patients", [
    { name: 'bmi', from: ['patients.height', 'patients.weight'] },
    { name: 's', from: ['patients.data'] },
  ]],
  ['aggregates', 'select max(dob) as m, count(*) as n, count(distinct ssn) as d from patients', [
    { name: 'm', from: ['patients.dob'] },
    { name: 'n', from: [] },
    { name: 'd', from: ['patients.ssn'] },
  ]],
  ['GROUP_CONCAT with ORDER BY and SEPARATOR', "select group_concat(name order by dob separator ',') as g from patients", [{ name: 'g', from: ['patients.name'] }]],
  ['window function', 'select lag(ssn) over (partition by ward order by id) as l from patients', [{ name: 'l', from: ['patients.ssn'] }]],
  ['CASE (the condition is a filter use, not a source)', "select case when ssn like '1%' then 'a' else name end as c from patients", [{ name: 'c', from: ['patients.name'] }]],
  ['IF, IFNULL, COALESCE, NULLIF', 'select if(a, b, c) as i, ifnull(email, phone) as f, coalesce(x, y) as co, nullif(p, q) as n from patients', [
    { name: 'i', from: ['patients.a', 'patients.b', 'patients.c'] },
    { name: 'f', from: ['patients.email', 'patients.phone'] },
    { name: 'co', from: ['patients.x', 'patients.y'] },
    { name: 'n', from: ['patients.p', 'patients.q'] },
  ]],
  ['JSON_OBJECT and JSON_ARRAY', "select json_object('ssn', ssn, 'n', name) as o, json_array(dob) as a, json_arrayagg(ssn) as g from patients", [
    { name: 'o', from: ['patients.name', 'patients.ssn'] },
    { name: 'a', from: ['patients.dob'] },
    { name: 'g', from: ['patients.ssn'] },
  ]],
  ['scalar subquery', 'select (select max(v.at) from visits v where v.pid = p.id) as last from patients p', [{ name: 'last', from: ['visits.at'] }]],
  ['correlated reference to the outer query', 'select (select p.ssn from visits v limit 1) as s from patients p', [{ name: 's', from: ['patients.ssn'] }]],
  ['EXISTS carries no values', 'select exists(select 1 from patients where ssn = ?) as e', [{ name: 'e', from: [] }]],
  ['derived table', 'select d.s from (select ssn as s from patients) d', [{ name: 's', from: ['patients.ssn'] }]],
  ['derived table with an expression', 'select x from (select concat(name, ssn) as x from patients) as d', [{ name: 'x', from: ['patients.name', 'patients.ssn'] }]],
  ['CTE', 'with c as (select ssn from patients) select ssn from c', [{ name: 'ssn', from: ['patients.ssn'] }]],
  ['CTE with column names', 'with c (a, b) as (select ssn, name from patients) select b, a from c', [
    { name: 'b', from: ['patients.name'] },
    { name: 'a', from: ['patients.ssn'] },
  ]],
  ['recursive CTE', 'with recursive c (n, s) as (select 1, ssn from patients union all select n + 1, s from c where n < 3) select n, s from c', [
    { name: 'n', from: [] },
    { name: 's', from: ['patients.ssn'] },
  ]],
  ['UNION: column i of every branch', 'select name, ssn from patients union all select name, tax_id from staff', [
    { name: 'name', from: ['patients.name', 'staff.name'] },
    { name: 'ssn', from: ['patients.ssn', 'staff.tax_id'] },
  ]],
  ['join with aliases', 'select p.name, v.code from patients p join visits v on v.pid = p.id', [
    { name: 'name', from: ['patients.name'] },
    { name: 'code', from: ['visits.code'] },
  ]],
  ['unqualified column over a join may come from either table', 'select code from patients p join visits v on v.pid = p.id', [{ name: 'code', from: ['patients.code', 'visits.code'] }]],
  ['* over a table is opaque', 'select * from patients', [{ name: '*', from: ['patients.*'], opaque: true }]],
  ['t.* over a table is opaque, other columns keep their lineage', 'select p.*, v.code from patients p join visits v on v.pid = p.id', [
    { name: '*', from: ['patients.*'], opaque: true },
    { name: 'code', from: ['visits.code'] },
  ]],
  ['* over known columns expands', 'select * from (select ssn, name as n from patients) d', [
    { name: 'ssn', from: ['patients.ssn'] },
    { name: 'n', from: ['patients.name'] },
  ]],
  ['* over a join of a table and a derived table', 'select * from (select 1 as k) d join patients p', [
    { name: 'k', from: [] },
    { name: '*', from: ['patients.*'], opaque: true },
  ]],
  ['UNION with a * branch is opaque everywhere', 'select ssn from patients union select * from staff', [{ name: 'ssn', from: ['patients.ssn', 'staff.*'], opaque: true }]],
  ['stored function is opaque', 'select decrypt_ssn(ssn) as s from patients', [{ name: 's', from: ['patients.ssn'], opaque: true }]],
  ['load_file is opaque', "select load_file('/etc/passwd') as f", [{ name: 'f', from: [], opaque: true }]],
  ['user variable is opaque', 'select @saved as s', [{ name: 's', from: [], opaque: true }]],
  ['constants have no sources', "select 1 as one, 'x' as x, now() as t", [
    { name: 'one', from: [] },
    { name: 'x', from: [] },
    { name: 't', from: [] },
  ]],
  ['VALUES ROW names columns column_0, column_1', 'values row(1, 2)', [
    { name: 'column_0', from: [] },
    { name: 'column_1', from: [] },
  ]],
  ['TABLE t is an opaque *', 'table patients', [{ name: '*', from: ['patients.*'], opaque: true }]],
  ['HANDLER READ is an opaque *', 'handler patients read first', [{ name: '*', from: ['patients.*'], opaque: true }]],
  ['CALL and EXECUTE return rows the gateway cannot see', 'call report()', [{ name: '*', from: [], opaque: true }]],
];

describe('column lineage', () => {
  it.each(cases)('%s', (_name, sql, expected) => {
    expect(columns(sql)).toEqual(expected);
  });

  it('resolves unqualified sources to the current database', () => {
    const [statement] = statementsOf(my.analyze('select ssn from patients', { searchPath: [], database: 'clinic' }));
    expect(statement!.columns).toEqual([{ name: 'ssn', sources: [{ table: { schema: 'clinic', name: 'patients' }, column: 'ssn' }], opaque: false }]);
  });

  it('has no columns for statements that return no rows', () => {
    for (const sql of ['insert into t values (1)', 'update t set a = 1 where id = 2', 'select ssn into @x from patients limit 1', 'do sleep(0)']) {
      expect(statementsOf(my.analyze(sql, { searchPath: [] }))[0]!.columns, sql).toBeUndefined();
    }
  });
});
