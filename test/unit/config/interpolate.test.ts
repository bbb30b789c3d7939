import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interpolateString } from '../../../src/policy/config/interpolate.js';
import { errorAt, expectOk, lineOf, minimal, parseIn, publicJwks, tempDir, type TempDir } from './helpers.js';

describe('interpolateString', () => {
  const env = { HOST: 'db.internal', EMPTY: '' };

  it('replaces ${VAR} and keeps surrounding text', () => {
    expect(interpolateString('postgres://u@${HOST}:5432/x', env)).toEqual({
      ok: true,
      value: 'postgres://u@db.internal:5432/x',
      usedEnv: true,
    });
  });

  it('takes the default when the variable is unset or empty', () => {
    expect(interpolateString('${NOPE:-a:b#c}', env)).toMatchObject({ ok: true, value: 'a:b#c' });
    expect(interpolateString('${EMPTY:-fallback}', env)).toMatchObject({ ok: true, value: 'fallback' });
    expect(interpolateString('${HOST:-fallback}', env)).toMatchObject({ ok: true, value: 'db.internal' });
  });

  it('gives an empty string for ${VAR:-} and for a set but empty ${VAR}', () => {
    expect(interpolateString('${NOPE:-}', env)).toMatchObject({ ok: true, value: '' });
    expect(interpolateString('${EMPTY}', env)).toMatchObject({ ok: true, value: '' });
  });

  it('treats $${ as a literal ${ and leaves other dollars alone', () => {
    expect(interpolateString('$${HOST} costs $5 or $HOST', env)).toEqual({
      ok: true,
      value: '${HOST} costs $5 or $HOST',
      usedEnv: false,
    });
  });

  it('does not expand defaults', () => {
    expect(interpolateString('${NOPE:-${HOST}}', env)).toMatchObject({ ok: true, value: '${HOST}' });
  });

  it('reports every unset variable by name', () => {
    const result = interpolateString('${A}/${HOST}/${B}', env);
    expect(result).toEqual({
      ok: false,
      messages: [expect.stringContaining('variable A is not set'), expect.stringContaining('variable B is not set')],
    });
  });

  it('reports malformed expressions without echoing them', () => {
    for (const text of ['${', '${1X}', '${X:default}', '${}', '${X:-secret']) {
      const result = interpolateString(text, env);
      expect(result.ok, text).toBe(false);
      if (!result.ok) expect(result.messages.join(' ')).not.toContain('secret');
    }
  });
});

describe('interpolation in a rules file', () => {
  let tmp: TempDir;
  beforeAll(() => {
    tmp = tempDir();
    tmp.file('jwks.json', publicJwks);
  });
  afterAll(() => tmp.remove());

  it('applies to values after parsing, so ":" and "#" in a value cannot break the YAML', () => {
    const yaml = minimal.replace('issuer: https://idp.example/', 'issuer: ${ISSUER}');
    const config = expectOk(parseIn(tmp.dir, yaml, { ISSUER: 'https://idp.example/ #not: a comment' }));
    expect(config.identity.issuer).toBe('https://idp.example/ #not: a comment');
  });

  it('reports an unset variable with its path and line', () => {
    const yaml = minimal.replace('listen: 127.0.0.1:6432', 'listen: ${SQLVEIL_PG_LISTEN}');
    const error = errorAt(parseIn(tmp.dir, yaml), 'listeners[0].listen');
    expect(error.message).toMatch(/SQLVEIL_PG_LISTEN is not set/);
    expect(error.line).toBe(lineOf(yaml, 'SQLVEIL_PG_LISTEN'));
    expect(error.column).toBe(13);
  });

  it('reports each unset variable once, not again as a schema error', () => {
    const yaml = `${minimal}limits:\n  startupTimeoutMs: \${STARTUP_TIMEOUT}\n`;
    const result = parseIn(tmp.dir, yaml);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors).toHaveLength(1);
    expect(errorAt(result, 'limits.startupTimeoutMs').message).toMatch(/STARTUP_TIMEOUT is not set/);
  });

  it('never expands keys', () => {
    // Credentials are keyed by upstream name: an expanded key would name the existing upstream.
    const yaml = minimal.replace('groups: [agents]', 'groups: [agents]\n    credentials:\n      ${UP}: { user: someone }');
    const error = errorAt(parseIn(tmp.dir, yaml, { UP: 'pg' }), 'roles[0].credentials["${UP}"]');
    expect(error.message).toMatch(/no upstream named "\$\{UP\}"/);
    expect(error.line).toBe(lineOf(yaml, '${UP}'));
  });

  it('expands inside the masking section too, and honours $${', () => {
    const yaml = `${minimal}masking:\n  rules:\n    - { name: r, columns: [a.b.c], strategy: redact, text: "$\${literal} \${WHO:-x}" }\n`;
    const config = expectOk(parseIn(tmp.dir, yaml, { WHO: 'me' }));
    expect(config.masking?.rules[0]?.strategy).toEqual({ kind: 'redact', text: '${literal} me' });
  });

  it('turns numeric text from the environment into numbers', () => {
    const yaml = minimal.replace('    url: postgres', '    connectTimeoutMs: ${TIMEOUT:-7000}\n    url: postgres');
    expect(expectOk(parseIn(tmp.dir, yaml)).upstreams[0]?.connectTimeoutMs).toBe(7000);
    expect(expectOk(parseIn(tmp.dir, yaml, { TIMEOUT: '2500' })).upstreams[0]?.connectTimeoutMs).toBe(2500);
  });

  it('expands an anchored value once for every alias', () => {
    const yaml = minimal
      .replace('audience: sqlveil', 'audience: &aud ${AUD}')
      .replace('groups: [agents]', 'groups: [*aud]');
    const config = expectOk(parseIn(tmp.dir, yaml, { AUD: 'agents' }));
    expect(config.identity.audience).toEqual(['agents']);
    expect(config.roles[0]?.groups).toEqual(['agents']);
  });
});
