// `sqlveil keygen`: a development signing key and its public JWKS, written to a directory.
import { access, chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEV_KEY_ALGORITHMS, generateDevKey, type DevKeyAlgorithm } from '../identity/dev-keys.js';

export const PRIVATE_KEY_FILE = 'dev-key.private.jwk.json';
export const JWKS_FILE = 'jwks.json';
const DEFAULT_DIR = '.sqlveil-dev';

const keygenUsage = `Usage: sqlveil keygen [--out DIR] [--alg ${DEV_KEY_ALGORITHMS.join('|')}] [--force]

Writes DIR/${PRIVATE_KEY_FILE} (mode 0600) and DIR/${JWKS_FILE} (default DIR: ${DEFAULT_DIR}).
Point identity.jwks at the JWKS file; mint tokens with 'sqlveil token --key DIR/${PRIVATE_KEY_FILE}'.
These keys are for development only.
`;

export async function runKeygen(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        out: { type: 'string', default: DEFAULT_DIR },
        alg: { type: 'string', default: 'ES256' },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return usageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) {
    process.stdout.write(keygenUsage);
    return 0;
  }
  const alg = values.alg as DevKeyAlgorithm;
  if (!DEV_KEY_ALGORITHMS.includes(alg)) return usageError(`--alg must be one of ${DEV_KEY_ALGORITHMS.join(', ')}`);

  const dir = values.out;
  const privatePath = join(dir, PRIVATE_KEY_FILE);
  const jwksPath = join(dir, JWKS_FILE);
  if (!values.force) {
    // Check both before writing either: never leave a private key beside someone else's JWKS.
    for (const path of [privatePath, jwksPath]) {
      if (await exists(path)) {
        process.stderr.write(`sqlveil keygen: ${path} already exists: pass --force to replace it\n`);
        return 1;
      }
    }
  }

  const created = await mkdir(dir, { recursive: true, mode: 0o700 });
  // A directory we made holds nothing else: keep the private key out of version control.
  if (created !== undefined) await writeFile(join(dir, '.gitignore'), '*\n');

  const { privateJwk, publicJwks } = await generateDevKey(alg);
  const flag = values.force ? 'w' : 'wx';
  await writeFile(privatePath, `${JSON.stringify(privateJwk, null, 2)}\n`, { mode: 0o600, flag });
  await chmod(privatePath, 0o600); // `mode` applies only when the file is created, not when --force replaces it
  await writeFile(jwksPath, `${JSON.stringify(publicJwks, null, 2)}\n`, { mode: 0o644, flag });

  process.stdout.write(
    `wrote ${privatePath} (private ${alg} key, kid ${String(privateJwk.kid)})\n` +
      `wrote ${jwksPath} (public key set for identity.jwks)\n` +
      `These keys are for development only: never use them for real data or a shared deployment.\n`,
  );
  return 0;
}

function usageError(message: string): number {
  process.stderr.write(`sqlveil keygen: ${message}\n\n${keygenUsage}`);
  return 2;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
