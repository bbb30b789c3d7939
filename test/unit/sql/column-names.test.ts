// Output column names must line up with what PostgreSQL sends in RowDescription, so that lineage
// can be matched to the columns the client gets: checked against a real PostgreSQL (PGlite).
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgStatementAnalyzer } from '../../../src/sql/pg-analyzer.js';
import { analyzer, statementsOf } from './helpers.js';

let db: PGlite;
let pg: PgStatementAnalyzer;

beforeAll(async () => {
  [db, pg] = await Promise.all([PGlite.create(), analyzer()]);
  await db.exec(`create table patients (id int, name text, ssn text, dob date, data jsonb, ward int);
    create table visits (id int, patient_id int, at timestamptz);`);
}, 60_000);

afterAll(async () => {
  await db.close();
});

const queries = [
  "select true, false, null, 1, 'x', 1.5, 1::int, 'x'::text, cast(2 as bigint), ssn::text from patients",
  'select row(1, 2), array[1], array(select 1), exists(select 1), (select 1 as z), (select id from visits limit 1), case when true then 1 end, coalesce(1, 2), greatest(1, 2), least(1, 2), nullif(1, 2)',
  "select current_date, current_timestamp, current_user, localtime, session_user, current_schema, now(), p.name, p.data->>'x', (p.data)['a'] from patients p",
  'select x.* from (select 1 as a, 2 as b) x',
  "values (1, 'a')",
  'select g from generate_series(1, 3) g',
  'select * from generate_series(1, 3)',
  "select * from jsonb_array_elements('[1]')",
  `select 'a' collate "C", -1, 1 + 1, 'a' || 'b', not true, 1 between 0 and 2, 'a' like 'b', 1 in (1)`,
  "select xmlelement(name a), json_object('a': 1), json_array(1)",
  'select * from (select 1 a, 2 b) s(x)',
  'select * from (select 1 as id, 2 as q) a join (select 1 as id, 3 as r) b using (id)',
  'select * from (select 1 as id, 2 as q) a natural join (select 1 as id, 3 as r) b',
  'with recursive r(n) as (select 1 union all select n + 1 from r where n < 3) select * from r',
  "select interval '1 day', date '2020-01-01', int4 '1', b'01', n'x', e'x', $$x$$",
  "select extract(year from now()), substring('abc' from 1), trim(' a '), position('a' in 'b'), cast('1' as int)",
  'select (1, 2) = (1, 2), (array[1, 2])[1], 1 is null, true is true, (select ssn from patients limit 1), ssn from patients',
  'select name from patients union select ssn from patients',
  'with x as (select ssn as s from patients) select s, upper(s), s::text as t from x',
  'insert into patients (id) values (1) returning id, ssn as s, upper(name)',
  'select p from patients p',
  'select sum(id) over (), row_number() over w from patients window w as (order by id)',
];

describe('output column names', () => {
  it.each(queries)('%s', async (sql) => {
    const result = await db.query(sql);
    const [statement] = statementsOf(pg.analyze(sql, { searchPath: ['public'] }));
    expect(statement!.columns?.map((column) => column.name)).toEqual(result.fields.map((field) => field.name));
  });
});
