// Channels a red team found around the allow lists and the blind-inference rule (issue 13,
// sections 3 and 5, PostgreSQL): functions called in attribute notation, `(x).f`, which
// PostgreSQL runs as f(x) when x has no field f; the number of rows a set-returning function
// returns for a masked argument; a CASE condition on a masked column that picks a value or an
// error. Each is refused for agent and leaves nothing behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { direct, loadClinicFixture, PG, startGateway, type TestGateway } from './harness.js';
import { clinicNeedles, leaks, type Needle } from './leak-check.js';
import { errorsOf, rowsOf, seenText, serialize, WireClient } from './pg-wire.js';

let gw: TestGateway;
let needles: Needle[];
let token: string;

beforeAll(async () => {
  await loadClinicFixture();
  gw = await startGateway();
  needles = await clinicNeedles();
  token = await gw.token('agent-1', ['agents']);
});
afterAll(async () => gw?.stop());

async function attempt(sql: string): Promise<{ error: string | undefined; rows: number; text: string }> {
  const c = await WireClient.connect(gw.port, 'agent-1', token, PG.database);
  c.send(serialize.query(sql));
  const got = await c.untilReady();
  c.send(serialize.query('SELECT 1'));
  expect(rowsOf(await c.untilReady())).toEqual([['1']]);
  c.close();
  return { error: errorsOf(got)[0]?.message, rows: rowsOf(got).length, text: seenText(got) };
}

describe('functions called in attribute notation go through the function allow list', () => {
  it.each([
    ["select ('select to_tsvector(''simple'', coalesce(ssn, '''') || '' '' || full_name) from clinic.patients'::text).ts_stat", /ts_stat|EXECUTE of SQL/],
    ["select ('/etc/hostname'::text).pg_read_file", /pg_read_file|reading or writing files/],
    ["select ('.'::text).pg_ls_dir", /pg_ls_dir|reading or writing files/],
    ['select (4242::oid).lo_create', /lo_create/],
    ['select (pg_backend_pid()).pg_terminate_backend', /pg_terminate_backend/],
    ['select (0.01::float8).pg_sleep', /pg_sleep/],
  ])('%s', async (sql, fn) => {
    const r = await attempt(sql);
    expect(r.error).toMatch(fn);
    expect(r.rows).toBe(0);
    expect(leaks(r.text, needles)).toEqual([]);
  });

  it('left no large object behind', async () => {
    expect(await direct('select count(*) from pg_largeobject_metadata where oid = 4242')).toBe('0');
  });
});

describe('inference through the rows or errors a masked value causes', () => {
  it.each([
    "select id, regexp_matches(ssn, '^900-11-0001$') from clinic.patients limit 10",
    "select p.id from clinic.patients p, lateral regexp_matches(p.ssn, '^900-11-0004') g limit 100",
    'select id, generate_series(1, ascii(substr(full_name, 1, 1))) from clinic.patients where id = 3 limit 100',
    'select id, 1 / (case when ascii(substr(ssn::text, 1, 1)) > 56 then 0 else 1 end) from clinic.patients where id = 2 limit 1',
    "select id, case when ssn like '900-11%' then 'yes' else 'no' end from clinic.patients limit 10",
    'select id, case ssn when null then 1 end from clinic.patients limit 10',
    "select id, unnest(string_to_array(ssn, '-')) from clinic.patients limit 20",
  ])('%s', async (sql) => {
    const r = await attempt(sql);
    expect(r.error).toMatch(/is masked for role agent and cannot be used in (a CASE condition|the arguments of a set-returning function)/);
    expect(r.rows).toBe(0);
    expect(leaks(r.text, needles)).toEqual([]);
  });

  it('CASE and set-returning functions over unmasked columns still work', async () => {
    const r = await attempt("select id, case when id > 2 then 'late' else 'early' end, generate_series(1, 2) from clinic.patients order by id limit 4");
    expect(r.error).toBeUndefined();
    expect(r.rows).toBe(4);
  });
});
