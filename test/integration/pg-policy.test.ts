// Statement policy through real clients with rules/hipaa.yaml: what role agent may not run
// never reaches the database, each denial is an ordinary error that names the rule, and the
// session stays usable. The classic read-only bypasses are tried on both protocols' paths.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { direct, loadClinicFixture, PG, ROOT, run, startGateway, type TestGateway } from './harness.js';

let gw: TestGateway;
let agent: string;
let dba: string;

beforeAll(async () => {
  await loadClinicFixture();
  gw = await startGateway();
  agent = await gw.token('agent-1', ['agents']);
  dba = await gw.token('dba-1', ['dba']);
});
afterAll(async () => gw?.stop());

const agentPsql = (...commands: string[]) =>
  run('psql', ['-X', '-tA', '-U', 'agent-1', ...commands.flatMap((c) => ['-c', c])], { env: gw.libpqEnv(agent) });

/** Runs a statement as agent, then `select 42` on the same session; returns stderr and whether 42 came back. */
async function tryAsAgent(sql: string): Promise<{ stderr: string; survived: boolean }> {
  const r = await agentPsql(sql, 'select 42');
  return { stderr: r.stderr, survived: r.stdout.trim().split('\n').at(-1) === '42' };
}

describe('role agent under rules/hipaa.yaml', () => {
  it('reads what it may', async () => {
    expect((await agentPsql('select count(*) from clinic.clinics')).stdout.trim()).toBe('2');
    // Read, and masked (deterministic tokens: rules/hipaa.yaml masking).
    expect((await agentPsql('select mrn from clinic.patients order by id limit 2')).stdout.trim()).toMatch(/^h_[0-9a-f]{16}\nh_[0-9a-f]{16}$/);
  });

  const blocked: [string, string, RegExp][] = [
    ['DDL', 'drop table clinic.clinics', /rule: policy\.roles\.agent\.allow/],
    ['DELETE', 'delete from clinic.clinics', /not allowed|DELETE/],
    ['UPDATE without WHERE', "update clinic.clinics set name = 'pwned'", /not allowed|UPDATE/],
    ['TRUNCATE', 'truncate clinic.encounters', /not allowed|TRUNCATE/i],
    ['GRANT', 'grant select on clinic.patients to public', /not allowed|GRANT/i],
    ['COPY PROGRAM', "copy (select 1) to program 'touch /tmp/sqlveil-it-pwn'", /copy-program|not allowed/],
    ['a leading comment', '/* harmless */ drop table clinic.clinics', /not allowed/],
    ['a COMMIT; prefix', 'commit; drop table clinic.clinics', /not allowed/],
    ['a data-modifying CTE', 'with d as (delete from clinic.clinics returning *) select count(*) from d', /data-modifying|not allowed|DELETE/],
    ['EXPLAIN ANALYZE', 'explain analyze delete from clinic.clinics', /explain-analyze|not allowed|DELETE/],
    ['a DO block', "do $$ begin execute 'drop table clinic.clinics'; end $$", /not allowed/],
    ['a blocked function', 'select pg_sleep(5)', /pg_sleep|block\.functions/],
    ['password hashes', 'select rolpassword from pg_catalog.pg_authid', /pg_authid/],
    ['an unbounded read of a protected table', 'select * from clinic.patients', /LIMIT/],
  ];
  for (const [what, sql, message] of blocked) {
    it(`refuses ${what}, and the session goes on`, async () => {
      const r = await tryAsAgent(sql);
      expect(r.stderr).toMatch(/ERROR:/);
      expect(r.stderr).toMatch(message);
      expect(r.survived).toBe(true);
    });
  }

  it('leaves the data untouched after all of that', async () => {
    expect(await direct('select count(*) from clinic.clinics')).toBe('2');
    expect(await direct('select count(*) from clinic.encounters')).toBe('3');
    expect(await direct("select count(*) from clinic.clinics where name = 'pwned'")).toBe('0');
  });

  it('refuses on the extended protocol too, and the connection stays usable', async () => {
    const c = new pg.Client({ host: '127.0.0.1', port: gw.port, user: 'agent-1', password: agent, database: PG.database });
    await c.connect();
    try {
      await expect(c.query('delete from clinic.clinics where id = $1', [1])).rejects.toThrow(/not allowed/);
      await expect(c.query({ name: 'sneaky', text: 'with d as (delete from clinic.clinics returning id) select * from d where id = $1', values: [1] })).rejects.toThrow();
      expect((await c.query('select name from clinic.clinics where id = $1', [2])).rows[0].name).toBe('Lakeview Oncology');
    } finally {
      await c.end();
    }
    expect(await direct('select count(*) from clinic.clinics')).toBe('2');
  });

  it('cuts a result at the role limit (1000 rows)', async () => {
    const r = await agentPsql('select g from generate_series(1, 1000000) g', 'select 42');
    expect(r.stderr).toMatch(/result cut at 1000 rows/);
    expect(r.stdout.trim()).toBe('42');
  });

  it('lets dba run DDL', async () => {
    const r = await run('psql', ['-X', '-v', 'ON_ERROR_STOP=1', '-U', 'dba-1', '-c', 'create table clinic.policy_it(i int)', '-c', 'drop table clinic.policy_it'], { env: gw.libpqEnv(dba) });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('observe mode', () => {
  it('lets a denied statement through and keeps the session', async () => {
    // On the superuser login: with the least-privileged one the database itself refuses the DELETE.
    const observing = await startGateway({ agentLogin: 'superuser', env: { SQLVEIL_POLICY_MODE: 'observe' } });
    try {
      const token = await observing.token('agent-1', ['agents']);
      const r = await run('psql', ['-X', '-tA', '-U', 'agent-1', '-c', 'delete from clinic.clinics where id = 999', '-c', 'select 1'], { env: observing.libpqEnv(token) });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('DELETE 0\n1');
      // What enforce mode would have done is in the audit trail.
      await new Promise((resolve) => setTimeout(resolve, 400));
      const events = readFileSync(join(observing.dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const del = events.find((e) => e.type === 'statement' && String(e.sql).startsWith('delete'));
      expect(del).toMatchObject({ decision: 'allow', observed: [{ action: 'deny' }] });
    } finally {
      await observing.stop();
    }
  });
});

describe('hot reload', () => {
  it('swaps policies under load without failing a transaction, and keeps the last good one', async () => {
    const init = await run('pgbench', ['-q', '-i', '-s', '1', '-h', PG.host, '-p', String(PG.port), '-U', PG.user, PG.database]);
    expect(init.code, init.stderr).toBe(0);
    const rules = join(gw.dir, 'hipaa-load.yaml');
    const original = readFileSync(join(ROOT, 'rules/hipaa.yaml'), 'utf8');
    copyFileSync(join(ROOT, 'rules/hipaa.yaml'), rules);
    const live = await startGateway({ rules, env: { SQLVEIL_AUDIT_FILE: join(gw.dir, 'load-audit.jsonl') } });
    try {
      const token = await live.token('dba-1', ['dba']);
      const bench = run('pgbench', ['-n', '-S', '-M', 'extended', '-c', '4', '-j', '2', '-T', '4', '-U', 'dba-1', PG.database], { env: live.libpqEnv(token) });
      let applied = 0;
      let refused = 0;
      for (let i = 0; i < 24; i++) {
        await new Promise((r) => setTimeout(r, 120));
        // Every third version is broken; the others alternate the dba export limit.
        const text = i % 3 === 2 ? 'policy: [broken\n' : original.replace('maxRows: 100000', `maxRows: ${i % 2 === 0 ? 5 : 100000}`);
        writeFileSync(rules, text);
        const result = (await live.gateway.reloadPolicy()) as { ok: boolean };
        if (result.ok) applied++;
        else refused++;
      }
      const r = await bench;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/number of failed transactions: 0 /);
      expect(applied).toBe(16);
      expect(refused).toBe(8);
      // The last good version (i = 22: maxRows 5) is in force.
      const last = await run('psql', ['-X', '-tA', '-U', 'dba-1', '-c', 'select g from generate_series(1, 50) g'], { env: live.libpqEnv(token) });
      expect(last.stderr).toMatch(/result cut at 5 rows/);
    } finally {
      await live.stop();
    }
  });

  it('applies a changed policy to the next statement and keeps the old one when the file is broken', async () => {
    const rules = join(gw.dir, 'hipaa-copy.yaml');
    copyFileSync(join(ROOT, 'rules/hipaa.yaml'), rules);
    const live = await startGateway({ rules, env: { SQLVEIL_AUDIT_FILE: join(gw.dir, 'live-audit.jsonl') } });
    try {
      const token = await live.token('agent-1', ['agents']);
      const client = new pg.Client({ host: '127.0.0.1', port: live.port, user: 'agent-1', password: token, database: PG.database });
      await client.connect();
      try {
        expect((await client.query('select g from generate_series(1, 50) g')).rowCount).toBe(50);
        writeFileSync(rules, readFileSync(rules, 'utf8').replace('maxRows: 1000 ', 'maxRows: 10 '));
        const reloaded = await live.gateway.reloadPolicy();
        expect(reloaded, JSON.stringify(reloaded)).toMatchObject({ ok: true });
        await expect(client.query('select g from generate_series(1, 50) g')).rejects.toThrow(/result cut at 10 rows/);
        writeFileSync(rules, 'policy: [this is: not valid\n');
        expect((await live.gateway.reloadPolicy()) as { ok: boolean }).toMatchObject({ ok: false });
        await expect(client.query('select g from generate_series(1, 50) g')).rejects.toThrow(/result cut at 10 rows/);
        expect((await client.query('select 1 as one')).rows[0].one).toBe(1);
      } finally {
        await client.end();
      }
    } finally {
      await live.stop();
    }
  });
});
