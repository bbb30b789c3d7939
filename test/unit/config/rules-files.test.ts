// The shipped rules files load with only the variables they require.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfigText } from '../../../src/policy/config/load.js';
import { expectErrors, expectOk, lineOf, publicJwks, tempDir, type TempDir } from './helpers.js';

const rulesDir = fileURLToPath(new URL('../../../rules/', import.meta.url));
const hipaa = join(rulesDir, 'hipaa.yaml');
const demo = join(rulesDir, 'demo.yaml');

let tmp: TempDir;
let jwks: string;
beforeAll(() => {
  tmp = tempDir();
  jwks = tmp.file('jwks.json', publicJwks);
});
afterAll(() => tmp.remove());

describe('rules/hipaa.yaml', () => {
  const required = () => ({ SQLVEIL_JWKS: jwks, SQLVEIL_ISSUER: 'https://idp.example/' });

  it('loads with the defaults', async () => {
    const result = await loadConfigFile(hipaa, required());
    const config = expectOk(result);
    expect(result.ok && result.warnings).toEqual([]);
    expect(config.listeners).toEqual([
      { name: 'pg', protocol: 'postgres', host: '127.0.0.1', port: 6432, upstream: 'pg', cleartextPassword: 'tls-or-loopback' },
      { name: 'mysql', protocol: 'mysql', host: '127.0.0.1', port: 6033, upstream: 'mysql', cleartextPassword: 'tls-or-loopback' },
    ]);
    expect(config.upstreams.map((u) => [u.name, u.protocol, u.host, u.port, u.user, u.database, u.tls.mode])).toEqual([
      ['pg', 'postgres', '127.0.0.1', 5432, 'postgres', 'test', 'prefer'],
      ['mysql', 'mysql', '127.0.0.1', 3306, 'root', 'clinic', 'prefer'],
    ]);
    expect(config.identity).toMatchObject({ issuer: 'https://idp.example/', audience: ['sqlveil'], jwks: { kind: 'file', path: jwks } });
    expect(config.roles).toEqual([
      // warn by default so a deployment on the URL's superuser login keeps working (SQLVEIL_AGENT_SUPERUSER_LOGIN).
      { name: 'agent', groups: ['agents'], credentials: {}, upstreamLogin: { superuser: 'warn', restricted: true, configured: true } },
      { name: 'dba', groups: ['dba'], credentials: {}, upstreamLogin: { superuser: 'allow', restricted: false, configured: false } },
    ]);
    expect(config.audit).toMatchObject({ file: join(rulesDir, '../.sqlveil/audit.jsonl'), onFailure: 'block', redactLiterals: true });
    expect(config.admin).toEqual({ host: '127.0.0.1', port: 9187 });
  });

  it('takes every deployment value from the environment', async () => {
    const cert = tmp.file('tls.crt', 'cert');
    const key = tmp.file('tls.key', 'key');
    const config = expectOk(
      await loadConfigFile(hipaa, {
        ...required(),
        SQLVEIL_PG_LISTEN: '0.0.0.0:7432',
        SQLVEIL_PG_UPSTREAM: 'postgres://gw:pw%21@db.internal/clinic?sslmode=verify-full',
        SQLVEIL_MYSQL_LISTEN: '0.0.0.0:7033',
        SQLVEIL_MYSQL_UPSTREAM: 'mariadb://gw@mdb.internal:3307/clinic',
        SQLVEIL_AUDIENCE: 'gateway',
        SQLVEIL_KAFKA_BROKERS: 'k1:9092,k2:9092',
        SQLVEIL_ADMIN_LISTEN: '0.0.0.0:9000',
        SQLVEIL_TLS_CERT: cert,
        SQLVEIL_TLS_KEY: key,
        SQLVEIL_PG_AGENT_USER: 'sqlveil_agent',
        SQLVEIL_PG_AGENT_PASSWORD: 'agent-pw',
        SQLVEIL_MYSQL_DBA_USER: 'dba',
        SQLVEIL_AGENT_SUPERUSER_LOGIN: 'refuse',
      }),
    );
    expect(config.listeners.map((l) => [l.host, l.port, l.tls])).toEqual([
      ['0.0.0.0', 7432, { certFile: cert, keyFile: key }],
      ['0.0.0.0', 7033, { certFile: cert, keyFile: key }],
    ]);
    expect(config.upstreams[0]).toMatchObject({ host: 'db.internal', user: 'gw', password: 'pw!', tls: { mode: 'verify-full' } });
    expect(config.upstreams[1]).toMatchObject({ host: 'mdb.internal', port: 3307, user: 'gw' });
    expect(config.identity.audience).toEqual(['gateway']);
    expect(config.audit.kafka).toMatchObject({ brokers: ['k1:9092', 'k2:9092'], topicPrefix: 'sqlveil', clientId: 'sqlveil' });
    expect(config.admin).toEqual({ host: '0.0.0.0', port: 9000 });
    expect(config.roles.map((r) => r.credentials)).toEqual([
      { pg: { user: 'sqlveil_agent', password: 'agent-pw' } },
      { mysql: { user: 'dba' } },
    ]);
    expect(config.roles[0]!.upstreamLogin).toMatchObject({ superuser: 'refuse', restricted: true });
  });

  it('names the variables it requires', async () => {
    const text = readFileSync(hipaa, 'utf8');
    const errors = expectErrors(await loadConfigFile(hipaa, {}));
    expect(errors).toEqual([
      expect.objectContaining({ path: 'identity.issuer', line: lineOf(text, 'issuer: ${SQLVEIL_ISSUER}'), message: expect.stringMatching(/SQLVEIL_ISSUER is not set/) }),
      expect.objectContaining({ path: 'identity.jwks', line: lineOf(text, 'jwks: ${SQLVEIL_JWKS}'), message: expect.stringMatching(/SQLVEIL_JWKS is not set/) }),
    ]);
  });
});

describe('rules/demo.yaml', () => {
  it('loads with the demo key set', async () => {
    const result = await loadConfigFile(demo, { SQLVEIL_DEMO_JWKS: jwks });
    const config = expectOk(result);
    expect(result.ok && result.warnings).toEqual([]);
    expect(config.listeners).toEqual([
      { name: 'pg', protocol: 'postgres', host: '127.0.0.1', port: 6432, upstream: 'pg', cleartextPassword: 'tls-or-loopback' },
    ]);
    expect(config.upstreams[0]).toMatchObject({ port: 5499, user: 'postgres', database: 'postgres', tls: { mode: 'disable' } });
    expect(config.identity).toMatchObject({ issuer: 'https://demo.sqlveil.local/', audience: ['sqlveil'], jwks: { kind: 'file', path: jwks } });
    expect(config.roles.map((r) => [r.name, r.groups])).toEqual([
      ['agent', ['agents']],
      ['dba', ['dba']],
    ]);
    expect(config.audit.file).toBe(join(rulesDir, '.demo/audit.jsonl'));
  });

  it('says which JWKS file is missing when the demo has not written it', () => {
    const text = readFileSync(demo, 'utf8');
    const errors = expectErrors(parseConfigText(text, join(tmp.dir, 'demo.yaml'), {}));
    expect(errors).toEqual([
      {
        path: 'identity.jwks',
        line: lineOf(text, 'jwks:'),
        column: 9,
        message: `JWKS file: ${join(tmp.dir, '.demo/jwks.json')} does not exist (for development, \`sqlveil keygen\` writes one)`,
      },
    ]);
  });
});
