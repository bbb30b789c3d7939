// `sqlveil token`: mints a development JWT from a local private key and prints it alone on stdout,
// so `PGPASSWORD=$(sqlveil token ...)` works.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { JWK } from 'jose';
import { DEV_AUDIENCE, DEV_ISSUER, mintDevToken, parseTtl } from '../identity/dev-keys.js';

const tokenUsage = `Usage: sqlveil token --sub S --key FILE [--groups a,b] [--ttl 15m] [--issuer I] [--audience A] [--act ACTOR_SUB]

  --sub S          token subject (the person or service asking)
  --key FILE       private JWK written by 'sqlveil keygen'
  --groups a,b     groups claim, comma separated
  --ttl 15m        lifetime: a number followed by s, m, h or d
  --issuer I       iss claim (default: $SQLVEIL_ISSUER or ${DEV_ISSUER})
  --audience A     aud claim (default: $SQLVEIL_AUDIENCE or ${DEV_AUDIENCE})
  --act SUB        acting party (an agent) for the RFC 8693 act claim

Development only: real deployments take tokens from their identity provider.
`;

export async function runToken(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        sub: { type: 'string' },
        key: { type: 'string' },
        groups: { type: 'string', default: '' },
        ttl: { type: 'string', default: '15m' },
        issuer: { type: 'string' },
        audience: { type: 'string' },
        act: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return usageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) {
    process.stdout.write(tokenUsage);
    return 0;
  }
  if (!values.sub) return usageError('--sub is required');
  if (!values.key) return usageError('--key is required');
  try {
    parseTtl(values.ttl);
  } catch (err) {
    return usageError((err as Error).message);
  }
  if (values.act === '') return usageError('--act is empty');

  const privateJwk = await readPrivateKey(values.key);
  const token = await mintDevToken({
    privateJwk,
    subject: values.sub,
    groups: values.groups.split(',').map((g) => g.trim()).filter((g) => g !== ''),
    ttl: values.ttl,
    issuer: values.issuer ?? process.env.SQLVEIL_ISSUER ?? DEV_ISSUER,
    audience: values.audience ?? process.env.SQLVEIL_AUDIENCE ?? DEV_AUDIENCE,
    actor: values.act,
  });
  process.stdout.write(`${token}\n`);
  return 0;
}

async function readPrivateKey(path: string): Promise<JWK> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`cannot read key file ${path}${code === 'ENOENT' ? ': file not found (create one with sqlveil keygen)' : code ? ` (${code})` : ''}`, { cause: err });
  }
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    throw new Error(`key file ${path} is not valid JSON`);
  }
  if (!jwk || typeof jwk !== 'object' || Array.isArray(jwk) || 'keys' in jwk) {
    throw new Error(`key file ${path} is not a single private JWK (jwks.json holds only public keys; pass the private key file)`);
  }
  return jwk as JWK;
}

function usageError(message: string): number {
  process.stderr.write(`sqlveil token: ${message}\n\n${tokenUsage}`);
  return 2;
}
