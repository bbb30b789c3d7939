import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../src/policy/config/load.js';
import { statementKinds } from '../../../src/policy/statement-vocabulary.js';
import { errorAt, expectErrors, expectOk, lineOf, minimal, minimalWithoutPolicy, parseIn, publicJwks, tempDir, type TempDir } from './helpers.js';

let tmp: TempDir;
beforeAll(() => {
  tmp = tempDir();
  tmp.file('jwks.json', publicJwks);
  tmp.file('server.crt', 'cert');
  tmp.file('server.key', 'key');
  tmp.file('ca.pem', 'ca');
  tmp.file('agent.pw', 'from-file\n');
});
afterAll(() => tmp.remove());

const full = `version: 1
listeners:
  - name: pg
    protocol: postgres
    listen: 127.0.0.1:6432
    upstream: pg
    tls: { cert: ./server.crt, key: ./server.key }
    cleartextPassword: tls-or-loopback
  - name: my
    protocol: mysql
    listen: "[::1]:6033"
    upstream: my
    tls: { cert: ./server.crt, key: ./server.key }
upstreams:
  - name: pg
    url: postgres://postgres@127.0.0.1:5432/test
    tls: { mode: verify-full, ca: ./ca.pem, serverName: db.internal }
    connectTimeoutMs: 2000
  - name: my
    url: mysql://root:p%40ss@db.internal/clinic?sslmode=require
identity:
  issuer: https://idp.example/
  audience: [sqlveil, other]
  jwks: https://idp.example/jwks.json
  algorithms: [ES256, RS256]
  clockSkewSeconds: 10
  subjectClaim: email
  groupsClaim: roles
  userMismatch: ignore
roles:
  - name: agent
    groups: [agents, bots]
    credentials:
      pg: { user: sqlveil_agent, password: "\${PG_AGENT_PASSWORD}" }
      my: { user: agent, passwordFile: ./agent.pw }
    upstreamLogin: { superuser: warn }
  - name: dba
    groups: [dba]
audit:
  file: ./audit/out.jsonl
  kafka: { brokers: "k1:9092, k2:9092", topicPrefix: veil, clientId: gw }
admin: { listen: 127.0.0.1:9187 }
limits: { maxClientMessageBytes: 1048576, startupTimeoutMs: 5000 }
policy:
  mode: observe
  unparsable: allow
  roles:
    agent:
      mode: enforce
      allow: [select, explain]
      block: { flags: [update-without-where], functions: [pg_sleep] }
      tables: { allow: ["clinic.*"], deny: ["clinic.secret_*"] }
      maxRows: 500
      protected: [clinic.patients]
      approvals:
        - { name: bulk, when: { limitAbove: 100 }, approvers: [dba] }
      observe: [tables]
    dba:
      allow: all
masking: {}
approvals: {}
`;

describe('parseConfigText', () => {
  it('maps every key of a full rules file', () => {
    const config = expectOk(parseIn(tmp.dir, full, { PG_AGENT_PASSWORD: 's3cret' }));
    expect(config).toEqual({
      version: 1,
      source: join(tmp.dir, 'rules.yaml'),
      listeners: [
        {
          name: 'pg',
          protocol: 'postgres',
          host: '127.0.0.1',
          port: 6432,
          upstream: 'pg',
          tls: { certFile: join(tmp.dir, 'server.crt'), keyFile: join(tmp.dir, 'server.key') },
          cleartextPassword: 'tls-or-loopback',
        },
        {
          name: 'my',
          protocol: 'mysql',
          host: '::1',
          port: 6033,
          upstream: 'my',
          tls: { certFile: join(tmp.dir, 'server.crt'), keyFile: join(tmp.dir, 'server.key') },
          cleartextPassword: 'require-tls',
        },
      ],
      upstreams: [
        {
          name: 'pg',
          protocol: 'postgres',
          host: '127.0.0.1',
          port: 5432,
          database: 'test',
          user: 'postgres',
          tls: { mode: 'verify-full', caFile: join(tmp.dir, 'ca.pem'), serverName: 'db.internal' },
          connectTimeoutMs: 2000,
        },
        {
          name: 'my',
          protocol: 'mysql',
          host: 'db.internal',
          port: 3306,
          database: 'clinic',
          user: 'root',
          password: 'p@ss',
          tls: { mode: 'require' },
          connectTimeoutMs: 5000,
        },
      ],
      identity: {
        issuer: 'https://idp.example/',
        audience: ['sqlveil', 'other'],
        jwks: { kind: 'url', url: 'https://idp.example/jwks.json' },
        algorithms: ['ES256', 'RS256'],
        clockSkewSeconds: 10,
        subjectClaim: 'email',
        groupsClaim: 'roles',
        userMismatch: 'ignore',
      },
      roles: [
        {
          name: 'agent',
          groups: ['agents', 'bots'],
          credentials: {
            pg: { user: 'sqlveil_agent', password: 's3cret' },
            my: { user: 'agent', password: 'from-file' },
          },
          upstreamLogin: { superuser: 'warn', restricted: true, configured: true },
        },
        // allow: all and no masking rule: not restricted, its login is not checked.
        { name: 'dba', groups: ['dba'], credentials: {}, upstreamLogin: { superuser: 'allow', restricted: false, configured: false } },
      ],
      policy: {
        mode: 'observe',
        unparsable: 'allow',
        roles: {
          agent: {
            role: 'agent',
            mode: 'enforce',
            allow: ['select', 'explain'],
            block: { flags: ['update-without-where'], functions: ['pg_sleep'] },
            tables: { allow: ['clinic.*'], deny: ['clinic.secret_*'] },
            maxRows: 500,
            unbounded: 'refuse',
            protected: ['clinic.patients'],
            approvals: [
              {
                name: 'bulk',
                role: 'agent',
                when: { limitAbove: 100 },
                mode: 'reject',
                approvers: ['dba'],
                approvalsNeeded: 1,
                ttlMs: 900000,
                waitTimeoutMs: 60000,
              },
            ],
            observe: ['tables'],
          },
          dba: {
            role: 'dba',
            mode: 'observe',
            allow: statementKinds,
            block: { flags: [], functions: [] },
            tables: { deny: [] },
            unbounded: 'refuse',
            protected: [],
            approvals: [],
            observe: [],
          },
        },
      },
      audit: {
        file: join(tmp.dir, 'audit/out.jsonl'),
        kafka: {
          brokers: ['k1:9092', 'k2:9092'],
          topicPrefix: 'veil',
          clientId: 'gw',
          topics: { sessions: 'veil.audit.sessions', statements: 'veil.audit.statements', approvals: 'veil.audit.approvals' },
          partitions: 3,
          lingerMs: 20,
          batchSize: 2000,
        },
        onFailure: 'block',
        checkpointIntervalMs: 10000,
        redactLiterals: true,
        spool: { dir: join(tmp.dir, 'audit/audit-spool'), maxBytes: 1024 ** 3 },
      },
      admin: { host: '127.0.0.1', port: 9187 },
      limits: { maxClientMessageBytes: 1048576, startupTimeoutMs: 5000 },
    });
  });

  it('applies defaults', () => {
    const config = expectOk(parseIn(tmp.dir, minimal));
    expect(config.identity).toMatchObject({
      audience: ['sqlveil'],
      algorithms: ['RS256', 'ES256', 'EdDSA', 'PS256'],
      clockSkewSeconds: 30,
      subjectClaim: 'sub',
      groupsClaim: 'groups',
      userMismatch: 'reject',
    });
    expect(config.upstreams[0]).toMatchObject({ tls: { mode: 'prefer' }, connectTimeoutMs: 5000 });
    expect(config.audit).toEqual({
      file: join(tmp.dir, 'sqlveil-audit.jsonl'),
      onFailure: 'block',
      checkpointIntervalMs: 10000,
      redactLiterals: true,
      spool: { dir: join(tmp.dir, 'audit-spool'), maxBytes: 1024 ** 3 },
    });
    expect(config.admin).toBeUndefined();
    expect(config.limits).toEqual({ maxClientMessageBytes: 67108864, startupTimeoutMs: 10000 });
  });

  it('reports YAML syntax errors with their line and stops there', () => {
    const yaml = minimal.replace('groups: [agents]', 'groups: [agents\n  - oops');
    const errors = expectErrors(parseIn(tmp.dir, yaml));
    expect(errors[0]).toMatchObject({ path: '', line: lineOf(yaml, '- oops'), message: expect.stringMatching(/^YAML: /) });
  });

  it('reports duplicate keys', () => {
    const yaml = minimal.replace('  audience: sqlveil', '  audience: sqlveil\n  audience: other');
    expect(expectErrors(parseIn(tmp.dir, yaml))[0]).toMatchObject({
      line: lineOf(yaml, 'audience: other'),
      message: expect.stringMatching(/unique/),
    });
  });

  it('reports an unknown key at the key, with a suggestion', () => {
    const yaml = minimal.replace('    upstream: pg', '    upstream: pg\n    cleartextPasword: require-tls');
    const error = errorAt(parseIn(tmp.dir, yaml), 'listeners[0].cleartextPasword');
    expect(error).toMatchObject({ line: lineOf(yaml, 'cleartextPasword'), column: 5 });
    expect(error.message).toBe('unknown key "cleartextPasword" (did you mean "cleartextPassword"?)');
  });

  it('reports an unknown top-level key but accepts any object under the reserved sections', () => {
    const yaml = `${minimal}masking: { a: { b: c } }\napprovals: {}\npolcy: {}\n`;
    expect(errorAt(parseIn(tmp.dir, yaml), 'polcy')).toMatchObject({ line: lineOf(yaml, 'polcy'), column: 1 });
    expect(errorAt(parseIn(tmp.dir, `${minimalWithoutPolicy}policy: []\n`), 'policy').message).toBe('must be a map');
  });

  it('reports a missing key at the map that lacks it', () => {
    const yaml = minimal.replace('  issuer: https://idp.example/\n', '');
    const error = errorAt(parseIn(tmp.dir, yaml), 'identity.issuer');
    expect(error).toMatchObject({ line: lineOf(yaml, 'audience:'), message: 'missing required key "issuer"' });
  });

  it('reports wrong types and values', () => {
    const yaml = minimal.replace('protocol: postgres', 'protocol: oracle').replace('version: 1', 'version: 2');
    const result = parseIn(tmp.dir, yaml);
    expect(errorAt(result, 'listeners[0].protocol')).toMatchObject({ line: 4, column: 15, message: 'must be one of: postgres, mysql' });
    expect(errorAt(result, 'version')).toMatchObject({ line: 1, message: 'must be 1' });
  });

  it('reports every error at once, in file order', () => {
    const yaml = minimal
      .replace('listen: 127.0.0.1:6432', 'listen: 127.0.0.1:70000')
      .replace('upstream: pg', 'upstream: nope')
      .replace('  audience: sqlveil', '  audience: sqlveil\n  colour: blue')
      .replace('jwks: ./jwks.json', 'jwks: ./missing.json');
    const errors = expectErrors(parseIn(tmp.dir, yaml));
    expect(errors.map((e) => e.path)).toEqual(['listeners[0].listen', 'listeners[0].upstream', 'identity.colour', 'identity.jwks']);
    expect(errors.map((e) => e.line)).toEqual([5, 6, 14, 15]);
  });

  it('requires at least one listener, upstream and role, and non-empty groups', () => {
    const yaml = minimal
      .replace(/listeners:\n(?: {2}.*\n)+/, 'listeners: []\n')
      .replace('groups: [agents]', 'groups: []');
    const result = parseIn(tmp.dir, yaml);
    expect(errorAt(result, 'listeners').message).toBe('must have at least 1 item');
    expect(errorAt(result, 'roles[0].groups').message).toBe('must have at least 1 item');
    expect(errorAt(parseIn(tmp.dir, minimal.replace(/roles:\n(?: {2}.*\n)+/, 'roles: []\n')), 'roles').message).toBe(
      'must have at least 1 item',
    );
  });

  it('reports an empty file and a file that is not a map', () => {
    expect(expectErrors(parseIn(tmp.dir, '# nothing\n'))[0]?.message).toMatch(/empty/);
    expect(errorAt(parseIn(tmp.dir, '- a\n'), '')).toMatchObject({ line: 1, message: 'must be a map' });
  });
});

describe('loadConfigFile', () => {
  it('loads a file, resolving relative paths against its directory', async () => {
    const path = tmp.file('on-disk.yaml', minimal);
    const result = await loadConfigFile(path, {});
    expect(result.ok && result.config.identity.jwks).toEqual({ kind: 'file', path: join(tmp.dir, 'jwks.json') });
    expect(result.ok && result.config.source).toBe(path);
  });

  it('reports a missing file instead of throwing', async () => {
    const result = await loadConfigFile(join(tmp.dir, 'nope.yaml'), {});
    expect(result).toEqual({ ok: false, errors: [{ path: '', message: `${join(tmp.dir, 'nope.yaml')} does not exist` }] });
  });
});
