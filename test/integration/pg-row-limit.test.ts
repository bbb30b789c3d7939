// Export limits on the stream: the client receives exactly the rows it may have, then one
// clean error; the upstream query is cancelled and the session stays usable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import postgres from 'postgres';
import { ALLOW } from '../../src/session/types.js';
import type { StatementGate } from '../../src/session/pipeline.js';
import { direct, PG, run, startGateway, type TestGateway } from './harness.js';

const LIMIT = 100;
// Until the rules file drives it (statement policy), a gate that gives role agent a row limit.
const limitedGate: StatementGate = { decide: (session) => (session.identity.role === 'agent' ? { action: 'allow', maxRows: LIMIT } : ALLOW) };

let gw: TestGateway;
let agent: string;

beforeAll(async () => {
  // The gate gives no statement analysis, which masking needs: this file tests the cut alone.
  gw = await startGateway({ gate: limitedGate, configure: (config) => delete config.masking });
  agent = await gw.token('agent-1', ['agents']);
});
afterAll(async () => gw?.stop());

const psqlAgent = (args: string[], input?: string) => run('psql', ['-X', '-U', 'agent-1', ...args], { env: gw.libpqEnv(agent), input });

describe('row limit on the stream', () => {
  it('cuts a simple-query result at the limit with an error, and the session goes on', async () => {
    const r = await psqlAgent(['-tA', '-c', 'select g from generate_series(1, 1000000) g', '-c', 'select 42']);
    expect(r.stderr).toMatch(/result cut at 100 rows/);
    expect(r.stdout.trim()).toBe('42'); // psql prints no rows of a failed query
  });

  it('delivers exactly the allowed rows to a streaming client before the error', async () => {
    const c = new pg.Client({ host: '127.0.0.1', port: gw.port, user: 'agent-1', password: agent, database: PG.database });
    await c.connect();
    try {
      let rows = 0;
      const q = new pg.Query('select g from generate_series(1, 500000) g');
      q.on('row', () => rows++);
      const done = new Promise<Error | undefined>((resolve) => {
        q.on('error', resolve);
        q.on('end', () => resolve(undefined));
      });
      c.query(q);
      const err = await done;
      expect(err?.message).toMatch(/result cut at 100 rows/);
      expect(rows).toBe(LIMIT);
      expect((await c.query('select 7 as n')).rows[0].n).toBe(7);
      // The cut query was cancelled upstream, not left running.
      expect(await direct(`select count(*) from pg_stat_activity where query like 'select g from generate_series(1, 500000)%' and state = 'active'`)).toBe('0');
    } finally {
      await c.end();
    }
  });

  it('allows a result of exactly the limit', async () => {
    const r = await psqlAgent(['-tA', '-c', `select g from generate_series(1, ${LIMIT}) g`]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toHaveLength(LIMIT);
  });

  it('counts rows of a portal across Executes with a row count (extended protocol)', async () => {
    // fetch_types off: its start-up catalog query alone returns more rows than the limit.
    const sql = postgres({ host: '127.0.0.1', port: gw.port, user: 'agent-1', password: agent, database: PG.database, max: 1, fetch_types: false });
    try {
      let got = 0;
      const err = await sql`select g from generate_series(1, 1000) g`
        .cursor(30, (rows) => {
          got += rows.length;
        })
        .then(() => undefined, (e: Error) => e);
      expect(err?.message).toMatch(/result cut at 100 rows/);
      expect(got).toBeLessThanOrEqual(LIMIT);
      expect(got).toBeGreaterThanOrEqual(90);
      // postgres.js keeps its row index from the interrupted cursor batch (it does the same after
      // a server error mid-batch), so look for the row rather than at index 0.
      const after = await sql`select 1 as one`;
      expect(after.find(Boolean)?.one).toBe(1);
    } finally {
      await sql.end();
    }
  });

  it('limits COPY TO STDOUT the same way', async () => {
    const r = await psqlAgent(['-c', '\\copy (select g from generate_series(1, 100000) g) to stdout', '-c', 'select 5']);
    const lines = r.stdout.trim().split('\n');
    expect(lines.filter((l) => /^\d+$/.test(l)).length).toBeLessThanOrEqual(LIMIT + 1);
    expect(r.stderr).toMatch(/result cut at 100 rows/);
  });

  it('leaves other roles unlimited', async () => {
    const dba = await gw.token('dba-1', ['dba']);
    const r = await run('psql', ['-X', '-U', 'dba-1', '-tAc', 'select count(*) from (select g from generate_series(1, 5000) g) s'], { env: gw.libpqEnv(dba) });
    expect(r.stdout.trim()).toBe('5000');
  });
});
