// Upstream logins with the role's service credentials: SCRAM-SHA-256 over verified TLS, md5,
// a wrong password and a wrong server name refused, the credentials never shown to the client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, ROOT, run, startGateway, type TestGateway } from './harness.js';
import { startTestCluster, type TestCluster } from './pg-cluster.js';

let cluster: TestCluster;
let gw: TestGateway;
let wrongNamePort: number;

beforeAll(async () => {
  cluster = await startTestCluster();
  const md5File = join(cluster.dir, 'md5.password');
  writeFileSync(md5File, cluster.users.md5.password + '\n');
  wrongNamePort = await freePort();
  gw = await startGateway({
    rules: join(ROOT, 'test/fixtures/rules/upstream-auth.yaml'),
    env: {
      CLUSTER_PORT: String(cluster.port),
      CLUSTER_CA: cluster.caFile,
      SCRAM_PASSWORD: cluster.users.scram.password,
      MD5_PASSWORD_FILE: md5File,
      SQLVEIL_PG_LISTEN_WRONG_NAME: `127.0.0.1:${wrongNamePort}`,
    },
  });
}, 120_000);
afterAll(async () => {
  await gw?.stop();
  await cluster?.stop();
});

async function psqlAs(sub: string, groups: string[], sql: string, port = gw.port) {
  const token = await gw.token(sub, groups);
  return run('psql', ['-X', '-tA', '-U', sub, '-c', sql], { env: { ...gw.libpqEnv(token), PGPORT: String(port), PGDATABASE: 'postgres' } });
}

describe('upstream login with role credentials', () => {
  it('logs in with SCRAM-SHA-256 over TLS verified against the CA and the host name', async () => {
    const r = await psqlAs('agent-1', ['agents'], 'select current_user, ssl from pg_stat_ssl where pid = pg_backend_pid()');
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('scram_user|t');
  });

  it('logs in with md5 and a password read from a file', async () => {
    const r = await psqlAs('dba-1', ['dba'], 'select current_user');
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('md5_user');
  });

  it('refuses when the role password is wrong, without showing the service user or password', async () => {
    const r = await psqlAs('broken-1', ['broken'], 'select 1');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/FATAL:.*upstream connection failed/);
    expect(r.stderr).not.toMatch(/scram_user|not-the-password/);
  });

  it('refuses an upstream whose certificate does not match the configured server name', async () => {
    const r = await psqlAs('agent-1', ['agents'], 'select 1', wrongNamePort);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/FATAL:.*upstream connection failed/);
    expect(r.stderr).not.toContain(cluster.users.scram.password);
  });
});
