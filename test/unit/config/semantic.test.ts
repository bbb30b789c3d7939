// Errors only the semantic stage can see: references, addresses, URLs, files, identity rules.
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorAt, expectOk, lineOf, minimal, minimalWithoutPolicy, parseIn, publicJwks, tempDir, type TempDir } from './helpers.js';

let tmp: TempDir;
beforeAll(() => {
  tmp = tempDir();
  tmp.file('jwks.json', publicJwks);
  tmp.file('server.crt', 'cert');
  tmp.file('server.key', 'key');
  tmp.file('pw.txt', 'file-secret\r\n');
});
afterAll(() => tmp.remove());

const parse = (yaml: string, env = {}) => parseIn(tmp.dir, yaml, env);

/** Asserts the one error at `path`: its message and that it sits on the line holding `lineText`. */
function expectError(yaml: string, path: string, message: RegExp, line: string | number, env = {}): void {
  const error = errorAt(parse(yaml, env), path);
  expect(error.message).toMatch(message);
  expect(error.line).toBe(typeof line === 'number' ? line : lineOf(yaml, line));
}

const secondListener = `  - name: my
    protocol: mysql
    listen: 127.0.0.1:6033
    upstream: pg
    cleartextPassword: tls-or-loopback
upstreams:`;

const withSecondListener = (yaml: string) => yaml.replace('upstreams:', secondListener);
/** Roles dba and `extra` after agent, each with a policy entry (a role without one is a warning). */
const withSecondRole = (extra: string) => {
  const names = new Set(['agent', 'dba', ...[...extra.matchAll(/name: (\S+)/g)].map((m) => m[1])]);
  const policy = [...names].map((name) => `    ${name}: { allow: [select] }\n`).join('');
  return `${minimalWithoutPolicy}  - name: dba\n    groups: [dba]\n${extra}policy:\n  roles:\n${policy}`;
};

describe('listeners', () => {
  it('must name an existing upstream', () => {
    const yaml = minimal.replace('upstream: pg', 'upstream: pgg');
    expectError(yaml, 'listeners[0].upstream', /no upstream named "pgg" \(upstreams: "pg"\)/, 'upstream: pgg');
  });

  it('must speak the protocol of its upstream', () => {
    const yaml = withSecondListener(minimal);
    expectError(yaml, 'listeners[1].upstream', /listener speaks mysql but upstream "pg" is postgres/, lineOf(yaml, 'upstream: pg', 2));
  });

  it('must have unique names and addresses', () => {
    const yaml = withSecondListener(minimal)
      .replace('name: my', 'name: pg')
      .replace('protocol: mysql', 'protocol: postgres')
      .replace('127.0.0.1:6033', '0.0.0.0:6432');
    const result = parse(yaml);
    expect(errorAt(result, 'listeners[1].name')).toMatchObject({ message: 'duplicate listener name "pg" (also listeners[0])', line: 8 });
    expect(errorAt(result, 'listeners[1].listen')).toMatchObject({ message: '0.0.0.0:6432 is already used by listener "pg"', line: 10 });
  });

  it('must not share the admin address', () => {
    const yaml = `${minimal}admin:\n  listen: 127.0.0.1:6432\n`;
    expectError(yaml, 'admin.listen', /already used by listener "pg"/, lineOf(yaml, 'listen: 127.0.0.1:6432', 2));
  });

  it('must listen on a valid host:port', () => {
    const yaml = minimal.replace('listen: 127.0.0.1:6432', 'listen: ::1:6432');
    expectError(yaml, 'listeners[0].listen', /IPv6 address in brackets/, 'listen: ::1');
  });

  it('needs both TLS files, each readable; both empty means no TLS', () => {
    const tls = (cert: string, key: string) => minimal.replace('    upstream: pg', `    upstream: pg\n    tls:\n      cert: "${cert}"\n      key: "${key}"`);
    expect(expectOk(parse(tls('', ''))).listeners[0]?.tls).toBeUndefined();
    expect(expectOk(parse(tls('./server.crt', './server.key'))).listeners[0]?.tls).toEqual({
      certFile: join(tmp.dir, 'server.crt'),
      keyFile: join(tmp.dir, 'server.key'),
    });
    expectError(tls('./server.crt', ''), 'listeners[0].tls.key', /key is empty but cert is set/, 'key:');
    expectError(tls('./nope.crt', './server.key'), 'listeners[0].tls.cert', /TLS certificate file: .*nope\.crt does not exist/, 'cert:');
  });

  it('with require-tls needs TLS, else nobody could log in', () => {
    const yaml = minimal.replace('    cleartextPassword: tls-or-loopback\n', '');
    expectError(yaml, 'listeners[0]', /require-tls \(the default\) needs tls/, '- name: pg');
  });

  it('warns when a listener without TLS is reachable beyond loopback', () => {
    const result = parse(minimal.replace('listen: 127.0.0.1:6432', 'listen: 0.0.0.0:6432'));
    expect(result.ok && result.warnings).toEqual([
      expect.objectContaining({ path: 'listeners[0].listen', message: expect.stringMatching(/only clients on this machine/) }),
    ]);
  });
});

describe('upstreams', () => {
  it('must have unique names', () => {
    const yaml = minimal.replace('upstreams:\n', 'upstreams:\n  - name: pg\n    url: postgres://a@h/d\n');
    expectError(yaml, 'upstreams[1].name', /duplicate upstream name "pg"/, lineOf(yaml, 'name: pg', 3));
  });

  it('must have a parseable URL', () => {
    const yaml = minimal.replace('url: postgres://postgres@127.0.0.1:5432/test', 'url: pgsql://postgres@127.0.0.1/test');
    expectError(yaml, 'upstreams[0].url', /unsupported scheme "pgsql:\/\/"/, 'url:');
  });

  it('take TLS mode from the URL unless tls.mode is given', () => {
    const url = (query: string, tls = '') =>
      minimal.replace('url: postgres://postgres@127.0.0.1:5432/test', `url: postgres://postgres@127.0.0.1:5432/test${query}${tls}`);
    expect(expectOk(parse(url('?sslmode=require'))).upstreams[0]?.tls.mode).toBe('require');
    const overridden = parse(url('?sslmode=require', '\n    tls: { mode: disable }'));
    expect(overridden.ok && overridden.config.upstreams[0]?.tls.mode).toBe('disable');
    expect(overridden.ok && overridden.warnings[0]?.message).toMatch(/overrides sslmode require/);
  });

  it('check the CA file', () => {
    const yaml = minimal.replace('5432/test', '5432/test\n    tls: { mode: verify-full, ca: ./ca.pem }');
    expectError(yaml, 'upstreams[0].tls.ca', /CA file: .*ca\.pem does not exist/, 'ca.pem');
  });

  it('warn when no listener uses them', () => {
    const yaml = minimal.replace('upstreams:\n', 'upstreams:\n  - name: spare\n    url: postgres://a@h/d\n');
    const result = parse(yaml);
    expect(result.ok && result.warnings.map((w) => w.path)).toEqual(['upstreams[0].name']);
  });
});

describe('roles', () => {
  it('must have unique names', () => {
    const yaml = withSecondRole('  - name: agent\n    groups: [x]\n');
    expectError(yaml, 'roles[2].name', /duplicate role name "agent"/, lineOf(yaml, 'name: agent', 2));
  });

  it('name existing upstreams in credentials (reported at the key)', () => {
    const yaml = minimal.replace('groups: [agents]', 'groups: [agents]\n    credentials:\n      mysql: { user: a }');
    const error = errorAt(parse(yaml), 'roles[0].credentials.mysql');
    expect(error).toMatchObject({ line: lineOf(yaml, 'mysql:'), column: 7, message: 'no upstream named "mysql" (upstreams: "pg")' });
  });

  const credentials = (entry: string) => minimal.replace('groups: [agents]', `groups: [agents]\n    credentials:\n      pg: ${entry}`);

  it('read passwordFile at load, without its trailing newline', () => {
    const config = expectOk(parse(credentials('{ user: agent, passwordFile: ./pw.txt }')));
    expect(config.roles[0]?.credentials).toEqual({ pg: { user: 'agent', password: 'file-secret' } });
  });

  it('report an unreadable passwordFile', () => {
    expectError(credentials('{ user: agent, passwordFile: ./none.txt }'), 'roles[0].credentials.pg.passwordFile', /passwordFile: .*none\.txt does not exist/, 'pg:');
    if (process.getuid?.() !== 0) {
      const locked = tmp.file('locked.txt', 'x');
      chmodSync(locked, 0o000);
      expectError(credentials('{ user: agent, passwordFile: ./locked.txt }'), 'roles[0].credentials.pg.passwordFile', /not readable/, 'pg:');
    }
  });

  it('take password or passwordFile, not both', () => {
    const yaml = credentials('{ user: agent, password: "${PW}", passwordFile: ./pw.txt }');
    expectError(yaml, 'roles[0].credentials.pg.passwordFile', /not both/, 'pg:', { PW: 'x' });
  });

  it('treat an empty password as none and an empty user as the URL login', () => {
    const config = expectOk(parse(credentials('{ user: "${U:-}", password: "${P:-}" }')));
    expect(config.roles[0]?.credentials).toEqual({});
    const named = expectOk(parse(credentials('{ user: "${U:-}", password: "${P:-}" }'), { U: 'agent' }));
    expect(named.roles[0]?.credentials).toEqual({ pg: { user: 'agent' } });
    expectError(credentials('{ user: "", password: "${P}" }'), 'roles[0].credentials.pg.user', /user is empty but a password/, 'pg:', { P: 'x' });
  });

  it('warn about a password written in the file and about shadowed groups', () => {
    const result = parse(withSecondRole('  - name: also\n    groups: [agents]\n').replace('groups: [agents]', 'groups: [agents]\n    credentials:\n      pg: { user: a, password: literal }'));
    expect(result.ok && result.warnings.map((w) => `${w.path}: ${w.message}`)).toEqual([
      'roles[0].credentials.pg.password: password written in this file; take it from the environment with ${VAR} or use passwordFile',
      'roles[2].groups[0]: group "agents" already maps to role "agent" (the first matching role wins)',
    ]);
  });
});

describe('identity', () => {
  const identity = (lines: string) => minimal.replace('  jwks: ./jwks.json\n', lines);

  it('takes exactly one of jwks or discovery', () => {
    // A path the file lacks is reported at the map that lacks it.
    expectError(identity(''), 'identity', /needs a key source/, 'issuer:');
    expectError(identity('  jwks: ""\n'), 'identity.jwks', /jwks is empty/, 'jwks:');
    expectError(identity('  jwks: ./jwks.json\n  discovery: https://idp/.well-known/openid-configuration\n'), 'identity.discovery', /not both/, 'discovery:');
  });

  it('decides the jwks kind by prefix', () => {
    expect(expectOk(parse(identity('  jwks: https://idp.example/keys\n'))).identity.jwks).toEqual({ kind: 'url', url: 'https://idp.example/keys' });
    expect(expectOk(parse(identity('  jwks: http://127.0.0.1:8080/keys\n'))).identity.jwks).toEqual({ kind: 'url', url: 'http://127.0.0.1:8080/keys' });
    expect(expectOk(parse(identity('  discovery: https://idp.example/.well-known/openid-configuration\n'))).identity.jwks).toEqual({
      kind: 'discovery',
      url: 'https://idp.example/.well-known/openid-configuration',
    });
  });

  it('allows http:// only for loopback hosts', () => {
    expectError(identity('  jwks: http://idp.example/keys\n'), 'identity.jwks', /http:\/\/ is allowed only for loopback/, 'jwks:');
    expectError(identity('  discovery: http://idp.example/x\n'), 'identity.discovery', /only for loopback/, 'discovery:');
    expectError(identity('  jwks: ftp://idp.example/keys\n'), 'identity.jwks', /unsupported URL scheme "ftp:"/, 'jwks:');
  });

  it('needs the jwks file to exist and hold a key set', () => {
    expectError(identity('  jwks: ./nope.json\n'), 'identity.jwks', /JWKS file: .*nope\.json does not exist/, 'jwks:');
    tmp.file('bad.json', '{');
    expectError(identity('  jwks: ./bad.json\n'), 'identity.jwks', /not valid JSON/, 'jwks:');
    tmp.file('nokeys.json', '{}');
    expectError(identity('  jwks: ./nokeys.json\n'), 'identity.jwks', /no "keys" list/, 'jwks:');
  });

  it('refuses none, HS* and unknown algorithms', () => {
    const yaml = minimal.replace('  audience: sqlveil', '  audience: sqlveil\n  algorithms: [ES256, none, HS256, XY1]');
    const result = parse(yaml);
    const line = lineOf(yaml, 'algorithms');
    expect(errorAt(result, 'identity.algorithms[1]')).toMatchObject({ line, message: expect.stringMatching(/unsigned/) });
    expect(errorAt(result, 'identity.algorithms[2]')).toMatchObject({ line, message: expect.stringMatching(/HS256 is a shared-secret/) });
    expect(errorAt(result, 'identity.algorithms[3]')).toMatchObject({ line, message: expect.stringMatching(/unknown algorithm "XY1"/) });
  });

  it('caps the clock skew at 300 seconds', () => {
    const yaml = minimal.replace('  audience: sqlveil', '  audience: sqlveil\n  clockSkewSeconds: 301');
    expectError(yaml, 'identity.clockSkewSeconds', /<= 300/, 'clockSkewSeconds');
  });
});

describe('audit and admin', () => {
  it('reads Kafka brokers from a comma-separated string or a list; empty means no Kafka', () => {
    const kafka = (brokers: string) => `${minimal}audit:\n  kafka:\n    brokers: ${brokers}\n`;
    expect(expectOk(parse(kafka('"a:9092,b:9092"'))).audit.kafka?.brokers).toEqual(['a:9092', 'b:9092']);
    expect(expectOk(parse(kafka('[a:9092]'))).audit.kafka).toMatchObject({ brokers: ['a:9092'], topicPrefix: 'sqlveil', clientId: 'sqlveil' });
    expect(expectOk(parse(kafka('"${BROKERS:-}"'))).audit.kafka).toBeUndefined();
    expect(expectOk(parse(kafka('[]'))).audit.kafka).toBeUndefined();
    expectError(kafka('[a:9092, b]'), 'audit.kafka.brokers[1]', /Kafka broker "b" has no port/, 'brokers');
  });

  it('turns the admin endpoint off with an empty listen', () => {
    expect(expectOk(parse(`${minimal}admin:\n  listen: "\${ADMIN:-}"\n`)).admin).toBeUndefined();
    expectError(`${minimal}admin:\n  listen: nowhere\n`, 'admin.listen', /no port/, 'listen: nowhere');
  });
});
