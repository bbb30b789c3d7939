import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCheckConfig } from '../../../src/cli/check-config.js';
import { minimal, minimalWithoutPolicy, publicJwks, tempDir, type TempDir } from './helpers.js';

let tmp: TempDir;
let out: string;
let err: string;

beforeAll(() => {
  tmp = tempDir();
  tmp.file('jwks.json', publicJwks);
});
afterAll(() => tmp.remove());

beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('sqlveil check-config', () => {
  it('prints usage and exits 2 without a file', async () => {
    expect(await runCheckConfig([])).toBe(2);
    expect(err).toMatch(/^Usage: sqlveil check-config FILE/);
    expect(await runCheckConfig(['a.yaml', 'b.yaml'])).toBe(2);
  });

  it('prints help on --help and exits 0', async () => {
    expect(await runCheckConfig(['--help'])).toBe(0);
    expect(out).toMatch(/^Usage: sqlveil check-config FILE/);
  });

  it('reports a valid file with its counts and exits 0', async () => {
    const file = tmp.file('ok.yaml', minimal);
    expect(await runCheckConfig([file])).toBe(0);
    expect(out).toBe(`${file}: ok (1 listener, 1 upstream, 1 role)\n`);
    expect(err).toBe('');
  });

  it('prints warnings of a valid file to stderr', async () => {
    const file = tmp.file('warn.yaml', minimal.replace('listen: 127.0.0.1:6432', 'listen: 0.0.0.0:6432'));
    expect(await runCheckConfig([file])).toBe(0);
    expect(err).toMatch(new RegExp(`^${file}:5:13: warning: listeners\\[0\\]\\.listen: no tls on a non-loopback address`));
  });

  it('warns loudly about a file without a statement policy', async () => {
    const file = tmp.file('open.yaml', minimalWithoutPolicy);
    expect(await runCheckConfig([file])).toBe(0);
    expect(err).toBe(
      `${file}:1:1: warning: NO STATEMENT POLICY: this file has no \`policy\` section, so every role may run every statement ` +
        '(DELETE, DROP, COPY ... PROGRAM included) with no export limit; add one (see docs/policy.md)\n',
    );
  });

  it('prints FILE:LINE:COL: PATH: MESSAGE per error and exits 1', async () => {
    const file = tmp.file('bad.yaml', minimal.replace('upstream: pg', 'upstream: nope').replace('  audience: sqlveil', '  audence: sqlveil'));
    expect(await runCheckConfig([file])).toBe(1);
    expect(err.split('\n')).toEqual([
      `${file}:6:15: listeners[0].upstream: no upstream named "nope" (upstreams: "pg")`,
      `${file}:12:3: identity.audience: missing required key "audience"`,
      `${file}:13:3: identity.audence: unknown key "audence" (did you mean "audience"?)`,
      `${file}: 3 errors`,
      '',
    ]);
    expect(out).toBe('');
  });

  it('reports a missing file and exits 1', async () => {
    const file = join(tmp.dir, 'missing.yaml');
    expect(await runCheckConfig([file])).toBe(1);
    expect(err).toContain(`${file}: ${file} does not exist`);
  });

  it('passes rules/hipaa.yaml given the required environment', async () => {
    vi.stubEnv('SQLVEIL_JWKS', join(tmp.dir, 'jwks.json'));
    vi.stubEnv('SQLVEIL_ISSUER', 'https://idp.example/');
    const file = fileURLToPath(new URL('../../../rules/hipaa.yaml', import.meta.url));
    expect(await runCheckConfig([file])).toBe(0);
    expect(out).toBe(`${file}: ok (2 listeners, 2 upstreams, 2 roles)\n`);
  });
});
