// The demo's development signing key in `<workDir>/.demo/`: reused across runs so tokens minted
// with `sqlveil token` keep working, created (with a .gitignore) the first time.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { JWKS_FILE, PRIVATE_KEY_FILE } from '../cli/keygen.js';
import { generateDevKey } from '../identity/dev-keys.js';

export const DEMO_DIR = '.demo';

export interface DemoKey {
  privateJwk: JWK;
  privateKeyPath: string;
  jwksPath: string;
  /** False when an existing key was reused. */
  created: boolean;
}

export async function ensureDemoKey(workDir: string): Promise<DemoKey> {
  const dir = join(workDir, DEMO_DIR);
  const privateKeyPath = join(dir, PRIVATE_KEY_FILE);
  const jwksPath = join(dir, JWKS_FILE);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Everything in .demo is local state (a private key, the audit log): keep it out of git.
  await writeFile(join(dir, '.gitignore'), '*\n');

  const existing = await readMatchingKey(privateKeyPath, jwksPath);
  if (existing) return { privateJwk: existing, privateKeyPath, jwksPath, created: false };

  const { privateJwk, publicJwks } = await generateDevKey('ES256');
  await writeFile(privateKeyPath, `${JSON.stringify(privateJwk, null, 2)}\n`, { mode: 0o600 });
  await chmod(privateKeyPath, 0o600); // `mode` applies only when the file is created, not replaced
  await writeFile(jwksPath, `${JSON.stringify(publicJwks, null, 2)}\n`, { mode: 0o644 });
  return { privateJwk, privateKeyPath, jwksPath, created: true };
}

/** The private key, if both files exist and the JWKS holds its kid; anything else means "make a new pair". */
async function readMatchingKey(privateKeyPath: string, jwksPath: string): Promise<JWK | undefined> {
  const privateJwk = await readJson(privateKeyPath);
  const jwks = await readJson(jwksPath);
  if (!isObject(privateJwk) || !isObject(jwks) || !Array.isArray(jwks.keys)) return undefined;
  const { d, kid, alg } = privateJwk;
  if (typeof d !== 'string' || typeof kid !== 'string' || typeof alg !== 'string') return undefined;
  const published = jwks.keys.some((k: unknown) => isObject(k) && k.kid === kid);
  return published ? (privateJwk as JWK) : undefined;
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
