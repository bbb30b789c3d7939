// `sqlveil audit keygen`: an Ed25519 key pair for checkpoint signatures. The private key goes to
// audit.signingKey; the public key is all `sqlveil audit verify --public-key` needs.
import { access, chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateSigningKeyPair } from '../audit/signing-key.js';

export const AUDIT_PRIVATE_KEY_FILE = 'audit-signing.key.pem';
export const AUDIT_PUBLIC_KEY_FILE = 'audit-signing.pub.pem';

const keygenUsage = `Usage: sqlveil audit keygen [--out DIR] [--force]

Writes DIR/${AUDIT_PRIVATE_KEY_FILE} (mode 0600) and DIR/${AUDIT_PUBLIC_KEY_FILE} (default DIR: .sqlveil-dev).
Set audit.signingKey to the private key file; give the public key to 'sqlveil audit verify --public-key'.
`;

export async function runAuditKeygen(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { out: { type: 'string', default: '.sqlveil-dev' }, force: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`sqlveil audit keygen: ${err instanceof Error ? err.message : String(err)}\n\n${keygenUsage}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(keygenUsage);
    return 0;
  }
  const privatePath = join(values.out, AUDIT_PRIVATE_KEY_FILE);
  const publicPath = join(values.out, AUDIT_PUBLIC_KEY_FILE);
  if (!values.force) {
    for (const path of [privatePath, publicPath]) {
      if (await access(path).then(() => true, () => false)) {
        process.stderr.write(`sqlveil audit keygen: ${path} already exists: pass --force to replace it\n`);
        return 1;
      }
    }
  }
  const created = await mkdir(values.out, { recursive: true, mode: 0o700 });
  if (created !== undefined) await writeFile(join(values.out, '.gitignore'), '*\n');
  const { privatePem, publicPem } = generateSigningKeyPair();
  const flag = values.force ? 'w' : 'wx';
  await writeFile(privatePath, privatePem, { mode: 0o600, flag });
  await chmod(privatePath, 0o600);
  await writeFile(publicPath, publicPem, { mode: 0o644, flag });
  process.stdout.write(`wrote ${privatePath} (Ed25519 private key: audit.signingKey)\nwrote ${publicPath} (public key: sqlveil audit verify --public-key)\n`);
  return 0;
}
