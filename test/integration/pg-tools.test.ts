// PostgreSQL's own tools through the gateway: pgbench (simple, extended, prepared), pg_dump
// (COPY out), and a cancel from psql that stops pg_sleep.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { loadClinicFixture, PG, run, startGateway, type TestGateway } from './harness.js';

let gw: TestGateway;
let token: string;

beforeAll(async () => {
  await loadClinicFixture();
  const init = await run('pgbench', ['-q', '-i', '-s', '1', '-h', PG.host, '-p', String(PG.port), '-U', PG.user, PG.database]);
  expect(init.code, init.stderr).toBe(0);
  gw = await startGateway();
  token = await gw.token('dba-1', ['dba']);
}, 120_000);
afterAll(async () => gw?.stop());

describe('pgbench', () => {
  for (const mode of ['simple', 'extended', 'prepared']) {
    it(`runs the read-only script in ${mode} mode without failures`, async () => {
      const r = await run('pgbench', ['-n', '-S', '-M', mode, '-c', '4', '-j', '2', '-t', '300', '-U', 'dba-1', PG.database], { env: gw.libpqEnv(token) });
      expect(r.stderr).not.toMatch(/error|FATAL/i);
      expect(r.stdout).toMatch(/number of transactions actually processed: 1200\/1200/);
      expect(r.stdout).toMatch(/number of failed transactions: 0/);
    });
  }

  it('runs the read-write TPC-B script (transactions, updates, inserts) in prepared mode', async () => {
    const r = await run('pgbench', ['-n', '-M', 'prepared', '-c', '2', '-t', '100', '-U', 'dba-1', PG.database], { env: gw.libpqEnv(token) });
    expect(r.stdout).toMatch(/number of transactions actually processed: 200\/200/);
  });
});

describe('pg_dump', () => {
  it('dumps the clinic schema with its data (COPY out)', async () => {
    const r = await run('pg_dump', ['-U', 'dba-1', '-n', 'clinic', PG.database], { env: gw.libpqEnv(token) });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/CREATE TABLE clinic\.patients/);
    expect(r.stdout).toMatch(/COPY clinic\.clinics \(id, name, city\) FROM stdin;\n1\tNorthside Family Care\tSpringfield\n2\tLakeview Oncology\tShelbyville\n\\\./);
  });
});

describe('cancel', () => {
  it('stops pg_sleep(30) when psql is interrupted', async () => {
    const started = Date.now();
    const r = await run('psql', ['-X', '-U', 'dba-1', '-c', 'select pg_sleep(30)'], { env: gw.libpqEnv(token), signalAfterMs: { signal: 'SIGINT', ms: 1000 } });
    expect(r.stderr).toMatch(/canceling statement due to user request/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('ignores a cancel request with a wrong key', async () => {
    const sleeping = run('psql', ['-X', '-tA', '-U', 'dba-1', '-c', 'select pg_sleep(1.5), 7'], { env: gw.libpqEnv(token) });
    await new Promise((r) => setTimeout(r, 500));
    const cancel = Buffer.alloc(16);
    cancel.writeInt32BE(16, 0);
    cancel.writeInt32BE(80877102, 4);
    cancel.writeInt32BE(12345, 8);
    cancel.writeInt32BE(67890, 12);
    await new Promise<void>((resolve) => {
      const s = net.connect(gw.port, '127.0.0.1', () => s.end(cancel));
      s.on('close', () => resolve());
      s.on('error', () => resolve());
    });
    const r = await sleeping;
    expect(r.stdout.trim()).toBe('|7');
    expect(gw.gateway.metrics.render()).toMatch(/sqlveil_cancel_requests_total\{outcome="unknown_key"\} 1/);
  });
});
