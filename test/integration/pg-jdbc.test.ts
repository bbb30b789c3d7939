// The PostgreSQL JDBC driver through the gateway: binary prepared statements, batch inserts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadClinicFixture, PG, ROOT, run, startGateway, type TestGateway } from './harness.js';
import { jdbcClassPath } from './jdbc.js';
import { clinicNeedles, leaks } from './leak-check.js';

let gw: TestGateway;
let classPath: string;

beforeAll(async () => {
  await loadClinicFixture();
  classPath = await jdbcClassPath();
  gw = await startGateway();
}, 300_000);
afterAll(async () => gw?.stop());

describe('PostgreSQL JDBC driver', () => {
  it('runs binary prepared statements, a batch insert, and recovers from an error', async () => {
    const token = await gw.token('dba-1', ['dba']);
    const url = `jdbc:postgresql://127.0.0.1:${gw.port}/${PG.database}?sslmode=disable`;
    const r = await run('java', ['-cp', classPath, join(ROOT, 'test/jdbc/PgJdbcCheck.java'), url, 'dba-1', token], { timeoutMs: 120_000 });
    expect(r.stderr).not.toMatch(/Exception/);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('prepared-sum=' + 5 * (1250 + 0 + 98000 + 500 + 0));
    expect(r.stdout).toContain('batch=1000');
    expect(r.stdout).toContain('batch-count=1000 batch-sum=499500');
    expect(r.stdout).toContain('error-state=22012');
    expect(r.stdout).toContain('after-error=still-ok');
  });

  it('masks what role agent reads through reused server-side statements, a fetch size and binary transfer', async () => {
    const token = await gw.token('agent-1', ['agents']);
    const url = `jdbc:postgresql://127.0.0.1:${gw.port}/${PG.database}?sslmode=disable`;
    const r = await run('java', ['-cp', classPath, join(ROOT, 'test/jdbc/PgJdbcAgentCheck.java'), url, 'agent-1', token], { timeoutMs: 120_000 });
    expect(r.stderr).not.toMatch(/Exception/);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('rows=20');
    expect(leaks(r.stdout, await clinicNeedles())).toEqual([]);
  });
});
