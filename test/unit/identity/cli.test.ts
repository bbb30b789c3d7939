import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { JWKS_FILE, PRIVATE_KEY_FILE, runKeygen } from '../../../src/cli/keygen.js';
import { runToken } from '../../../src/cli/token.js';
import { DEV_AUDIENCE, DEV_ISSUER } from '../../../src/identity/dev-keys.js';
import { JwtVerifier } from '../../../src/identity/jwt-verifier.js';
import { identityConfig, ROLES, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

/** Runs a command, capturing what it writes to stdout and stderr. */
async function capture(run: () => Promise<number>): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    return { code: await run(), stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

describe('sqlveil keygen', () => {
  it('writes a private key (0600) and a JWKS, and says they are for development', async () => {
    const out = join(dir, 'keys');
    const { code, stdout } = await capture(() => runKeygen(['--out', out]));
    expect(code).toBe(0);
    expect(stdout).toContain(join(out, PRIVATE_KEY_FILE));
    expect(stdout).toContain(join(out, JWKS_FILE));
    expect(stdout).toMatch(/development only/);
    expect((await stat(join(out, PRIVATE_KEY_FILE))).mode & 0o777).toBe(0o600);
    const privateJwk = JSON.parse(await readFile(join(out, PRIVATE_KEY_FILE), 'utf8'));
    const jwks = JSON.parse(await readFile(join(out, JWKS_FILE), 'utf8'));
    expect(privateJwk).toMatchObject({ alg: 'ES256', kid: jwks.keys[0].kid });
    expect(jwks.keys[0]).not.toHaveProperty('d');
    expect(await readFile(join(out, '.gitignore'), 'utf8')).toBe('*\n');
  });

  it('refuses to overwrite without --force', async () => {
    const out = join(dir, 'again');
    expect((await capture(() => runKeygen(['--out', out]))).code).toBe(0);
    const before = await readFile(join(out, PRIVATE_KEY_FILE), 'utf8');
    const refused = await capture(() => runKeygen(['--out', out]));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/already exists: pass --force/);
    expect(await readFile(join(out, PRIVATE_KEY_FILE), 'utf8')).toBe(before);

    await writeFile(join(out, PRIVATE_KEY_FILE), before, { mode: 0o644 });
    const forced = await capture(() => runKeygen(['--out', out, '--force', '--alg', 'RS256']));
    expect(forced.code).toBe(0);
    expect(JSON.parse(await readFile(join(out, PRIVATE_KEY_FILE), 'utf8')).alg).toBe('RS256');
    expect((await stat(join(out, PRIVATE_KEY_FILE))).mode & 0o777).toBe(0o600);
  });

  it('reports usage errors with exit 2', async () => {
    expect((await capture(() => runKeygen(['--alg', 'HS256']))).code).toBe(2);
    expect((await capture(() => runKeygen(['--bogus']))).code).toBe(2);
    expect((await capture(() => runKeygen(['--help']))).code).toBe(0);
  });
});

describe('sqlveil token', () => {
  let keyFile: string;
  let jwksFile: string;
  beforeAll(async () => {
    const out = join(dir, 'token-keys');
    await capture(() => runKeygen(['--out', out]));
    keyFile = join(out, PRIVATE_KEY_FILE);
    jwksFile = join(out, JWKS_FILE);
  });

  it('prints only the JWT, which the verifier accepts', async () => {
    const { code, stdout, stderr } = await capture(() =>
      runToken(['--sub', 'alice', '--key', keyFile, '--groups', 'nurses, auditors', '--ttl', '5m', '--act', 'agent-1']),
    );
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const claims = decodeJwt(stdout.trim());
    expect(claims).toMatchObject({ iss: DEV_ISSUER, aud: DEV_AUDIENCE, sub: 'alice', groups: ['nurses', 'auditors'], act: { sub: 'agent-1' } });
    expect((claims.exp as number) - (claims.iat as number)).toBe(300);

    const verifier = new JwtVerifier(
      identityConfig({ issuer: DEV_ISSUER, audience: [DEV_AUDIENCE], jwks: { kind: 'file', path: jwksFile } }),
      ROLES,
    );
    expect(await verifier.verify(stdout)).toMatchObject({ subject: 'alice', role: 'auditor', actor: { subject: 'agent-1', chain: [] } });
  });

  it('takes issuer and audience from the environment, flags first', async () => {
    vi.stubEnv('SQLVEIL_ISSUER', 'https://env-issuer.test/');
    vi.stubEnv('SQLVEIL_AUDIENCE', 'env-aud');
    const fromEnv = await capture(() => runToken(['--sub', 'bob', '--key', keyFile]));
    expect(decodeJwt(fromEnv.stdout.trim())).toMatchObject({ iss: 'https://env-issuer.test/', aud: 'env-aud' });
    const fromFlags = await capture(() => runToken(['--sub', 'bob', '--key', keyFile, '--issuer', 'https://flag.test/', '--audience', 'flag-aud']));
    const claims = decodeJwt(fromFlags.stdout.trim());
    expect(claims).toMatchObject({ iss: 'https://flag.test/', aud: 'flag-aud' });
    expect((claims.exp as number) - (claims.iat as number)).toBe(900);
  });

  it('reports usage errors with exit 2 and nothing on stdout', async () => {
    for (const args of [['--key', keyFile], ['--sub', 'alice'], ['--sub', 'alice', '--key', keyFile, '--ttl', '15x'], ['--nope']]) {
      const { code, stdout, stderr } = await capture(() => runToken(args));
      expect(code, args.join(' ')).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toMatch(/^sqlveil token: /);
    }
  });

  it('refuses the public JWKS as a key file', async () => {
    await expect(capture(() => runToken(['--sub', 'alice', '--key', jwksFile]))).rejects.toThrow(/not a single private JWK/);
    await expect(capture(() => runToken(['--sub', 'alice', '--key', join(dir, 'nope.json')]))).rejects.toThrow(/file not found/);
  });
});
