// No message the loader produces may carry a secret: passwords (literal, from the environment, in
// URLs, in files) must not reach logs or CI output through a config error.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCheckConfig } from '../../../src/cli/check-config.js';
import type { LoadResult } from '../../../src/policy/config/issues.js';
import { minimal, parseIn, publicJwks, tempDir, type TempDir } from './helpers.js';

const secret = 'hunter2-Zq9';

let tmp: TempDir;
beforeAll(() => {
  tmp = tempDir();
  tmp.file('jwks.json', publicJwks);
  tmp.file('pw.txt', `${secret}\n`);
});
afterAll(() => tmp.remove());
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

function messages(result: LoadResult): string {
  const issues = result.ok ? result.warnings : result.errors;
  return JSON.stringify(issues);
}

const withCredentials = (entry: string, extra = '') =>
  minimal.replace('groups: [agents]', `groups: [agents]\n    credentials:\n      pg: ${entry}${extra}`);

describe('config messages never contain secrets', () => {
  it.each([
    ['a YAML syntax error on the line of a literal password', withCredentials(`{ user: a, password: ${secret}`)],
    ['a duplicate password key', withCredentials(`\n        user: a\n        password: ${secret}\n        password: ${secret}`)],
    ['a password of the wrong type', withCredentials(`{ user: a, password: [${secret}] }`)],
    ['an unparseable URL holding a password', minimal.replace('postgres://postgres@127.0.0.1:5432/test', `postgres://u:${secret}@h:99999/d`)],
    ['a URL with an unknown scheme', minimal.replace('postgres://postgres@127.0.0.1:5432/test', `pgx://u:${secret}@h/d`)],
    ['a bad sslmode next to a password', minimal.replace('postgres://postgres@127.0.0.1:5432/test', `postgres://u:${secret}@h/d?sslmode=x`)],
    ['a malformed interpolation with a secret default', withCredentials(`{ user: a, password: "\${PW:${secret}}" }`)],
    ['an unterminated interpolation with a secret default', withCredentials(`{ user: a, password: "\${PW:-${secret}" }`)],
    ['a password given without a user', withCredentials(`{ user: "", password: "${secret}" }`)],
    ['password and passwordFile together', withCredentials(`{ user: a, password: "${secret}", passwordFile: ./pw.txt }`)],
  ])('%s', (_, yaml) => {
    const result = parseIn(tmp.dir, yaml);
    expect(result.ok).toBe(false);
    expect(messages(result)).not.toContain(secret);
  });

  it('warns about literal passwords without repeating them', () => {
    const literalInUrl = parseIn(tmp.dir, minimal.replace('postgres://postgres@', `postgres://postgres:${secret}@`));
    const literalInRole = parseIn(tmp.dir, withCredentials(`{ user: a, password: "${secret}" }`));
    for (const result of [literalInUrl, literalInRole]) {
      expect(result.ok && result.warnings.length).toBe(1);
      expect(messages(result)).not.toContain(secret);
    }
  });

  it('keeps environment secrets out of check-config output', async () => {
    let output = '';
    const capture = (chunk: string | Uint8Array) => {
      output += String(chunk);
      return true;
    };
    vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    vi.stubEnv('UPSTREAM', `postgres://u:${secret}@h:0/d`);
    vi.stubEnv('PW', secret);
    const file = tmp.file(
      'env.yaml',
      withCredentials('{ user: a, password: "${PW}", passwordFile: ./pw.txt }').replace(
        'postgres://postgres@127.0.0.1:5432/test',
        '${UPSTREAM}',
      ),
    );
    expect(await runCheckConfig([file])).toBe(1);
    expect(output).toMatch(/upstreams\[0\]\.url/);
    expect(output).toMatch(/not both/);
    expect(output).not.toContain(secret);
  });
});
