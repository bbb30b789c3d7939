// MariaDB Connector/J and MySQL Connector/J through the gateway: server-side prepared statements,
// batch inserts. The drivers send a cleartext password only over TLS: this runs against the TLS listener.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, run } from './harness.js';
import { loadMysqlClinic, startMysqlGateway, type MysqlTestGateway } from './mysql-harness.js';

const CACHE = join(ROOT, '.cache/jdbc-mysql');

/** Class path of the drivers in test/jdbc/mysql/pom.xml, fetched with Maven on first use. */
async function classPath(): Promise<string> {
  const jars = () => (existsSync(CACHE) ? readdirSync(CACHE).filter((f) => f.endsWith('.jar')) : []);
  if (jars().length === 0) {
    const r = await run('mvn', ['-q', '-B', '-f', join(ROOT, 'test/jdbc/mysql/pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${CACHE}`], { timeoutMs: 300_000 });
    if (r.code !== 0) throw new Error(`fetching the MySQL JDBC driver with Maven failed: ${r.stdout}${r.stderr}`);
  }
  return jars().map((j) => join(CACHE, j)).join(':');
}

let gw: MysqlTestGateway;
let cp: string;
let dir: string;

beforeAll(async () => {
  await loadMysqlClinic();
  cp = await classPath();
  dir = mkdtempSync(join(tmpdir(), 'sqlveil-my-jdbc-'));
  const made = await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
  if (made.code !== 0) throw new Error(made.stderr);
  gw = await startMysqlGateway({ rules: join(ROOT, 'test/fixtures/rules/mysql-tls.yaml'), env: { SQLVEIL_TLS_CERT: join(dir, 'cert.pem'), SQLVEIL_TLS_KEY: join(dir, 'key.pem') } });
}, 300_000);
afterAll(async () => {
  await gw?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.each([
  ['MariaDB Connector/J', (port: number) => `jdbc:mariadb://127.0.0.1:${port}/clinic?useServerPrepStmts=true&sslMode=trust`],
  ['MySQL Connector/J', (port: number) => `jdbc:mysql://127.0.0.1:${port}/clinic?useServerPrepStmts=true&sslMode=REQUIRED`],
])('%s', (_driver, urlFor) => {
  it('runs server-side prepared statements, a batch insert, and recovers from an error', async () => {
    const token = await gw.token('agent-1', ['agents']);
    const url = urlFor(gw.myPort);
    const r = await run('java', ['-cp', cp, join(ROOT, 'test/jdbc/mysql/MysqlJdbcCheck.java'), url, 'agent-1', token], { timeoutMs: 120_000 });
    expect(r.stderr).not.toMatch(/Exception/);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('prepared-sum=' + 5 * (1250 + 0 + 98000 + 500 + 0));
    expect(r.stdout).toContain('batch=1000');
    expect(r.stdout).toContain('batch-count=1000 batch-sum=499500');
    expect(r.stdout).toContain('error-state=42S02');
    expect(r.stdout).toContain('after-error=still-ok');
  });
});
