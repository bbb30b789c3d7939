// Column lineage through every expression family, tables written `table.column` (the search
// path is empty, so no schema is added).
import { beforeAll, describe, expect, it } from 'vitest';
import type { ColumnLineage } from '../../../src/sql/analysis.js';
import type { PgStatementAnalyzer } from '../../../src/sql/pg-analyzer.js';
import { analyzer, statementsOf } from './helpers.js';

let pg: PgStatementAnalyzer;
beforeAll(async () => {
  pg = await analyzer();
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
  const [statement] = statementsOf(pg.analyze(sql, { searchPath: [] }));
  return (statement?.columns ?? []).map(simplify);
}

const cases: [string, string, Column[]][] = [
  ['plain column with alias', 'select name as n from patients', [{ name: 'n', from: ['patients.name'] }]],
  ['qualified column', 'select p.ssn from clinic.patients p', [{ name: 'ssn', from: ['clinic.patients.ssn'] }]],
  ['schema-qualified column', 'select clinic.patients.ssn from clinic.patients', [{ name: 'ssn', from: ['clinic.patients.ssn'] }]],
  ['function', 'select upper(name) from patients', [{ name: 'upper', from: ['patients.name'] }]],
  ['cast', 'select ssn::text, cast(dob as date) from patients', [{ name: 'ssn', from: ['patients.ssn'] }, { name: 'dob', from: ['patients.dob'] }]],
  ['cast of a constant is named after the type', "select 'x'::text", [{ name: 'text', from: [] }]],
  ['concatenation', "select first_name || ' ' || last_name as full from patients", [{ name: 'full', from: ['patients.first_name', 'patients.last_name'] }]],
  ['arithmetic and json operators', "select p.data->>'ssn', weight / height from patients p", [{ name: '?column?', from: ['patients.data'] }, { name: '?column?', from: ['patients.height', 'patients.weight'] }]],
  ['aggregates', 'select max(dob), count(*), count(distinct ssn) from patients', [{ name: 'max', from: ['patients.dob'] }, { name: 'count', from: [] }, { name: 'count', from: [] }]],
  ['aggregate with FILTER and ORDER BY', "select string_agg(name, ',' order by dob) filter (where ward = 1) from patients", [{ name: 'string_agg', from: ['patients.name'] }]],
  ['window function', 'select lag(ssn) over (partition by ward order by id) from patients', [{ name: 'lag', from: ['patients.ssn'] }]],
  ['CASE (the condition is a filter use, not a source)', "select case when ssn like '1%' then 'a' else name end from patients", [{ name: 'case', from: ['patients.name'] }]],
  ['COALESCE, NULLIF, GREATEST', 'select coalesce(email, phone), nullif(a, b), greatest(x, y) from patients', [
    { name: 'coalesce', from: ['patients.email', 'patients.phone'] },
    { name: 'nullif', from: ['patients.a', 'patients.b'] },
    { name: 'greatest', from: ['patients.x', 'patients.y'] },
  ]],
  ['row constructor and array', 'select row(name, ssn), array[name] from patients', [{ name: 'row', from: ['patients.name', 'patients.ssn'] }, { name: 'array', from: ['patients.name'] }]],
  ['row_to_json of a whole row', 'select row_to_json(p) from patients p', [{ name: 'row_to_json', from: ['patients.*', 'patients.p'] }]],
  ['to_json / json_build_object / array_agg', "select to_json(p.name), json_build_object('s', ssn), array_agg(dob) from patients p", [
    { name: 'to_json', from: ['patients.name'] },
    { name: 'json_build_object', from: ['patients.ssn'] },
    { name: 'array_agg', from: ['patients.dob'] },
  ]],
  ['composite field', 'select (p.address).city from patients p', [{ name: 'city', from: ['patients.address'] }]],
  ['whole row reference', 'select p from patients p', [{ name: 'p', from: ['patients.*', 'patients.p'] }]],
  ['scalar subquery in the select list', 'select (select max(v.at) from visits v where v.patient_id = p.id) as last from patients p', [{ name: 'last', from: ['visits.at'] }]],
  ['correlated reference to the outer query', 'select (select p.ssn) from patients p', [{ name: 'ssn', from: ['patients.ssn'] }]],
  ['EXISTS carries no values', 'select exists(select 1 from patients where ssn = $1)', [{ name: 'exists', from: [] }]],
  ['ARRAY subquery', 'select array(select ssn from patients)', [{ name: 'array', from: ['patients.ssn'] }]],
  ['UNION: sources per position', 'select name, ssn from patients union select name, tax_id from staff', [
    { name: 'name', from: ['patients.name', 'staff.name'] },
    { name: 'ssn', from: ['patients.ssn', 'staff.tax_id'] },
  ]],
  ['UNION with an unexpanded star: all opaque', 'select * from patients union select name from staff', [{ name: '*', from: ['patients.*', 'staff.name'], opaque: true }]],
  ['CTE', 'with x as (select name as n from patients) select n from x', [{ name: 'n', from: ['patients.name'] }]],
  ['CTE with column aliases', 'with x(a, b) as (select ssn, name from patients) select b, a from x', [{ name: 'b', from: ['patients.name'] }, { name: 'a', from: ['patients.ssn'] }]],
  ['CTE named like a table shadows it', 'with patients as (select 1 as ssn) select ssn from patients', [{ name: 'ssn', from: [] }]],
  ['derived table', 'select s.a from (select ssn as a from patients) s', [{ name: 'a', from: ['patients.ssn'] }]],
  ['derived table with column aliases', 'select s.x from (select ssn, name from patients) s(x, y)', [{ name: 'x', from: ['patients.ssn'] }]],
  ['LATERAL', 'select l.x from patients p, lateral (select p.ssn as x) l', [{ name: 'x', from: ['patients.ssn'] }]],
  ['star over a table is opaque', 'select * from patients', [{ name: '*', from: ['patients.*'], opaque: true }]],
  ['star over a derived table expands', 'select * from (select name, ssn from patients) s', [{ name: 'name', from: ['patients.name'] }, { name: 'ssn', from: ['patients.ssn'] }]],
  ['qualified star over a joined table', 'select v.* from patients p join visits v on v.pid = p.id', [{ name: '*', from: ['visits.*'], opaque: true }]],
  ['JOIN USING merges the shared column', 'select * from (select id, ssn from patients) a join (select id, at from visits) b using (id)', [
    { name: 'id', from: ['patients.id', 'visits.id'] },
    { name: 'ssn', from: ['patients.ssn'] },
    { name: 'at', from: ['visits.at'] },
  ]],
  ['unqualified column in a join may come from either table', 'select name from patients p join staff s on s.id = p.doctor_id', [{ name: 'name', from: ['patients.name', 'staff.name'] }]],
  ['recursive CTE: sources flow between columns across rounds', 'with recursive r(id, parent) as (select id, parent_id from tree union all select r.parent, t.id from tree t join r on t.parent_id = r.id) select id, parent from r', [
    { name: 'id', from: ['tree.id', 'tree.parent_id'] },
    { name: 'parent', from: ['tree.id', 'tree.parent_id'] },
  ]],
  ['unknown function: opaque', 'select decrypt_ssn(ssn) from patients', [{ name: 'decrypt_ssn', from: ['patients.ssn'], opaque: true }]],
  ['function qualified outside pg_catalog: opaque', 'select public.lower(name) from patients', [{ name: 'lower', from: ['patients.name'], opaque: true }]],
  ['query run from a string: opaque', "select query_to_xml('select ssn from patients', true, true, '')", [{ name: 'query_to_xml', from: [], opaque: true }]],
  ['constants', "select 1, 'a', true, $1, now(), current_date", [
    { name: '?column?', from: [] },
    { name: '?column?', from: [] },
    { name: '?column?', from: [] },
    { name: '?column?', from: [] },
    { name: 'now', from: [] },
    { name: 'current_date', from: [] },
  ]],
  ['VALUES in FROM', "select * from (values (1, 'a')) v(x, y)", [{ name: 'x', from: [] }, { name: 'y', from: [] }]],
  ['set-returning function in FROM', 'select g from generate_series(1, 3) g', [{ name: 'g', from: [] }]],
  ['record function with a column list', 'select r.a from patients p, json_to_recordset(p.data) as r(a text, b int)', [{ name: 'a', from: ['patients.data'] }]],
  ['jsonb_array_elements', 'select e.value from patients p, jsonb_array_elements(p.allergies) e', [{ name: 'value', from: ['patients.allergies'] }]],
  ['table alias with column list: positions unknown', 'select x.a from patients x(a, b)', [{ name: 'a', from: ['patients.*'], opaque: true }]],
  ['XMLTABLE: opaque', "select x.* from patients p, xmltable('/a' passing p.doc columns n text) x", [{ name: '*', from: ['patients.doc'], opaque: true }]],
  // An ordered-set aggregate returns a value of its ORDER BY argument.
  ['mode() within group', 'select mode() within group (order by ssn) from patients', [{ name: 'mode', from: ['patients.ssn'] }]],
  ['percentile_disc within group', 'select percentile_disc(0.5) within group (order by name), percentile_cont(0.5) within group (order by weight) from patients', [{ name: 'percentile_disc', from: ['patients.name'] }, { name: 'percentile_cont', from: ['patients.weight'] }]],
  // SEARCH / CYCLE columns hold the listed columns' values.
  [
    'recursive CTE SEARCH ... SET',
    'with recursive t(id, s) as (select id, ssn from patients union all select id, s from t) search depth first by s set ord select ord from t',
    [{ name: 'ord', from: ['patients.ssn'] }],
  ],
  [
    'recursive CTE CYCLE ... USING path',
    'with recursive t(id, s) as (select id, ssn from patients union all select id, s from t) cycle s set is_cycle using path select is_cycle, path, id from t',
    [{ name: 'is_cycle', from: ['patients.ssn'] }, { name: 'path', from: ['patients.ssn'] }, { name: 'id', from: ['patients.id'] }],
  ],
];

describe('lineage', () => {
  it.each(cases)('%s', (_, sql, expected) => {
    expect(columns(sql)).toEqual(expected);
  });

  it('traces RETURNING of each write', () => {
    expect(columns('delete from patients where id = 1 returning ssn, id')).toEqual([
      { name: 'ssn', from: ['patients.ssn'] },
      { name: 'id', from: ['patients.id'] },
    ]);
    expect(columns('insert into patients (name) values ($1) returning *')).toEqual([{ name: '*', from: ['patients.*'], opaque: true }]);
    expect(columns('update patients p set ward = 2 from wards w where w.id = p.ward returning p.ssn, w.name, old.ward')).toEqual([
      { name: 'ssn', from: ['patients.ssn'] },
      { name: 'name', from: ['wards.name'] },
      { name: 'ward', from: ['patients.ward'] },
    ]);
  });

  it('traces the rows of a data-modifying CTE', () => {
    expect(columns('with d as (delete from patients returning ssn) select ssn from d')).toEqual([{ name: 'ssn', from: ['patients.ssn'] }]);
  });

  it('gives COPY TO STDOUT columns, and none to statements that return no rows', () => {
    const [copy] = statementsOf(pg.analyze('copy patients (name, ssn) to stdout', { searchPath: [] }));
    expect(copy!.columns?.map(simplify)).toEqual([
      { name: 'name', from: ['patients.name'] },
      { name: 'ssn', from: ['patients.ssn'] },
    ]);
    for (const sql of ['update patients set ward = 1 where id = 2', 'create table x (a int)', 'select 1 into t', "copy patients to '/tmp/x'"]) {
      expect(statementsOf(pg.analyze(sql, { searchPath: [] }))[0]!.columns, sql).toBeUndefined();
    }
  });

  it('marks rows it cannot see as opaque', () => {
    for (const sql of ['fetch 10 from c', 'execute q(1)']) {
      expect(columns(sql), sql).toEqual([{ name: '*', from: [], opaque: true }]);
    }
  });
});
