// psql through the gateway: queries, catalog commands, errors, COPY, notices, notifications.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { direct, loadClinicFixture, run, startGateway, type TestGateway } from './harness.js';

let gw: TestGateway;
let dbaToken: string;

function psql(args: string[], opts: { token?: string; input?: string; user?: string } = {}) {
  return run('psql', ['-X', '-q', '-U', opts.user ?? 'dba-1', ...args], { env: gw.libpqEnv(opts.token ?? dbaToken), input: opts.input });
}

beforeAll(async () => {
  await loadClinicFixture();
  gw = await startGateway();
  dbaToken = await gw.token('dba-1', ['dba']);
});
afterAll(async () => gw?.stop());

describe('psql through sqlveil', () => {
  it('runs a query and returns rows', async () => {
    const r = await psql(['-tAc', 'select name from clinic.clinics order by id']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('Northside Family Care\nLakeview Oncology\n');
  });

  it('answers psql catalog commands (\\dt, \\d)', async () => {
    const dt = await psql(['-c', '\\dt clinic.*']);
    expect(dt.stdout).toMatch(/encounters/);
    expect(dt.stdout).toMatch(/patients/);
    const d = await psql(['-c', '\\d clinic.patients']);
    expect(d.stdout).toMatch(/balance_cents\s+\|\s+bigint/);
  });

  it('keeps the session usable after an error', async () => {
    const r = await psql(['-tA', '-c', 'select 1/0', '-c', 'select 42']);
    expect(r.stderr).toMatch(/division by zero/);
    expect(r.stdout.trim()).toBe('42');
  });

  it('runs a multi-statement string and reports each result', async () => {
    const r = await psql(['-tA', '-c', 'select 1; select 2; select 3']);
    expect(r.stdout.trim()).toBe('1\n2\n3');
    const tx = await psql(['-tA', '-v', 'ON_ERROR_STOP=1'], { input: 'begin;\ncreate temp table t(i int);\ninsert into t values (1),(2);\nselect sum(i) from t;\nrollback;\n' });
    expect(tx.stdout.trim()).toBe('3');
  });

  it('streams a large result completely and in order', async () => {
    const r = await psql(['-tAc', 'select g, md5(g::text) from generate_series(1, 100000) g']); // the dba role's export limit
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(100000);
    expect(lines[99999]).toMatch(/^100000\|/);
  });

  it('copies out and in (\\copy)', async () => {
    const out = await psql(['-c', '\\copy clinic.clinics to stdout']);
    expect(out.stdout).toContain('Lakeview Oncology');
    const r = await psql(['-v', 'ON_ERROR_STOP=1', '-c', 'create table if not exists public.sqlveil_copy_it(id int, name text)', '-c', 'truncate public.sqlveil_copy_it', '-c', '\\copy public.sqlveil_copy_it from stdin'], {
      input: Array.from({ length: 5000 }, (_, i) => `${i}\tname ${i}`).join('\n') + '\n\\.\n',
    });
    expect(r.stderr).toBe('');
    expect(await direct('select count(*) from public.sqlveil_copy_it')).toBe('5000');
    await direct('drop table public.sqlveil_copy_it');
  });

  it('relays notices and parameter status changes', async () => {
    const r = await psql(['-c', "do $$ begin raise notice 'hello from plpgsql'; end $$", '-c', 'set application_name = \'it-app\'', '-tAc', 'show application_name']);
    expect(r.stderr).toMatch(/NOTICE:\s+hello from plpgsql/);
    expect(r.stdout.trim()).toBe('it-app');
  });

  it('relays notifications', async () => {
    const r = await psql([], { input: "listen sqlveil_it;\nnotify sqlveil_it, 'ping';\nselect 1;\n" });
    expect(r.stdout).toMatch(/Asynchronous notification "sqlveil_it" with payload "ping" received/);
  });

  it('refuses a database it does not serve, with a hint', async () => {
    const r = await run('psql', ['-X', '-U', 'dba-1', '-d', 'postgres', '-c', 'select 1'], { env: { ...gw.libpqEnv(dbaToken), PGDATABASE: 'postgres' } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/database "postgres" is not served here/);
  });
});
