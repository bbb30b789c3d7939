// Identity at the door: only a valid token of a mapped group gets a session.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { generateDevKey, mintDevToken } from '../../src/identity/dev-keys.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ISSUER, ROOT, run, startGateway, type TestGateway } from './harness.js';

let gw: TestGateway;

function psqlWith(password: string, user = 'agent-1') {
  return run('psql', ['-X', '-U', user, '-tAc', 'select current_user'], { env: gw.libpqEnv(password) });
}

beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => gw?.stop());

describe('login with a token', () => {
  it('accepts a valid token and logs in upstream with the role credentials, not the caller name', async () => {
    const r = await psqlWith(await gw.token('agent-1', ['agents']));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('sqlveil_agent'); // the role's service login (SQLVEIL_PG_AGENT_USER, set by the harness)
  });

  it('refuses a password that is not a token', async () => {
    const r = await psqlWith('not-a-token');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/FATAL:.*not a JWT/);
  });

  it('refuses a forged token (signed by another key with the same kid)', async () => {
    const other = await generateDevKey('ES256');
    const forged = await mintDevToken({ privateJwk: { ...other.privateJwk, kid: gw.key.privateJwk.kid }, subject: 'agent-1', groups: ['dba'], ttl: '5m', issuer: ISSUER, audience: 'sqlveil' });
    const r = await psqlWith(forged);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/FATAL:/);
    expect(r.stderr).not.toContain(forged);
  });

  it('refuses a token whose signature is rewritten in the spare bits of its last character', async () => {
    const t = await gw.token('agent-1', ['agents']);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(t.at(-1)!);
    // ES256: 64 signature bytes in 86 characters; the last one carries 2 bits and 4 spare ones.
    const variant = t.slice(0, -1) + alphabet[(last & 0b110000) | (~last & 0b001111)];
    expect(Buffer.from(variant.split('.')[2]!, 'base64url').equals(Buffer.from(t.split('.')[2]!, 'base64url'))).toBe(true);
    const r = await psqlWith(variant);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/FATAL:.*signature/);
  });

  it('refuses a tampered token', async () => {
    const t = await gw.token('agent-1', ['agents']);
    const r = await psqlWith(t.slice(0, -2) + (t.endsWith('AA') ? 'BB' : 'AA'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/FATAL:/);
  });

  it('refuses an expired token, saying so', async () => {
    const t = await mintDevToken({ privateJwk: gw.key.privateJwk, subject: 'agent-1', groups: ['agents'], ttl: '1s', issuer: ISSUER, audience: 'sqlveil', now: () => Date.now() - 3_600_000 });
    const r = await psqlWith(t);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/FATAL:.*expired/);
  });

  it('refuses a token for another audience or issuer', async () => {
    const aud = await psqlWith(await gw.token('agent-1', ['agents'], '5m', { audience: 'someone-else' }));
    expect(aud.stderr).toMatch(/FATAL:.*aud/);
    const iss = await psqlWith(await gw.token('agent-1', ['agents'], '5m', { issuer: 'https://evil.example/' }));
    expect(iss.stderr).toMatch(/FATAL:.*iss/);
  });

  it('refuses a token whose groups map to no role', async () => {
    const r = await psqlWith(await gw.token('agent-1', ['marketing']));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/FATAL:.*no role/);
  });

  it('refuses a startup user that names someone other than the token subject', async () => {
    const r = await psqlWith(await gw.token('agent-1', ['agents']), 'dba-1');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/FATAL:/);
  });

  it('ends the session with a clear FATAL error when the token expires', async () => {
    const t = await gw.token('agent-1', ['agents'], '2s');
    const client = new pg.Client({ host: '127.0.0.1', port: gw.port, user: 'agent-1', password: t, database: 'test' });
    const errors: Error[] = [];
    client.on('error', (e) => errors.push(e));
    await client.connect();
    expect((await client.query('select 1 as one')).rows[0].one).toBe(1);
    await new Promise((r) => setTimeout(r, 3500));
    await expect(client.query('select 1')).rejects.toThrow();
    expect(errors.map((e) => e.message).join(' ') + ' ').toMatch(/token has expired|Connection terminated/);
    await client.end().catch(() => undefined);
  });

});

describe('a listener that requires TLS', () => {
  let tlsGw: TestGateway;
  let token: string;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sqlveil-tls-'));
    const made = await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
    expect(made.code, made.stderr).toBe(0);
    tlsGw = await startGateway({ rules: join(ROOT, 'test/fixtures/rules/tls-only.yaml'), env: { SQLVEIL_TLS_CERT: join(dir, 'cert.pem'), SQLVEIL_TLS_KEY: join(dir, 'key.pem') } });
    token = await tlsGw.token('agent-1', ['agents']);
  });
  afterAll(async () => tlsGw?.stop());

  const psqlMode = (sslmode: string) =>
    run('psql', ['-X', '-U', 'agent-1', '-tAc', 'select ssl from pg_stat_ssl where pid = pg_backend_pid()'], { env: { ...tlsGw.libpqEnv(token), PGSSLMODE: sslmode } });

  it('accepts the token over TLS (sslmode=require)', async () => {
    const r = await psqlMode('require');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('refuses the token in clear, saying TLS is needed', async () => {
    const r = await psqlMode('disable');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/FATAL:.*only over TLS/);
    expect(r.stderr).toMatch(/sslmode=require/);
  });
});
