// Development signing keys and tokens, for `sqlveil keygen`, `sqlveil token`, the demo and tests.
// Nothing here is used to verify tokens in a running gateway.
import { randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';

export const DEV_ISSUER = 'https://dev.sqlveil.local/';
export const DEV_AUDIENCE = 'sqlveil';
export const DEV_KEY_ALGORITHMS = ['ES256', 'RS256', 'EdDSA'] as const;
export type DevKeyAlgorithm = (typeof DEV_KEY_ALGORITHMS)[number];

export interface DevKey {
  /** Private JWK with `alg`, `kid` and `use`; what `mintDevToken` signs with. */
  privateJwk: JWK;
  /** The matching public key as a JWKS, for `identity.jwks`. */
  publicJwks: { keys: JWK[] };
}

export async function generateDevKey(alg: DevKeyAlgorithm = 'ES256'): Promise<DevKey> {
  if (!DEV_KEY_ALGORITHMS.includes(alg)) throw new Error(`unsupported key algorithm '${alg}': use ${DEV_KEY_ALGORITHMS.join(', ')}`);
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `dev-${randomBytes(9).toString('base64url')}`;
  const meta = { kid, alg, use: 'sig' };
  return {
    privateJwk: { ...(await exportJWK(privateKey)), ...meta },
    publicJwks: { keys: [{ ...(await exportJWK(publicKey)), ...meta }] },
  };
}

export interface MintOptions {
  privateJwk: JWK;
  subject: string;
  groups: string[];
  /** Lifetime: a whole number followed by s, m, h or d (`30s`, `15m`, `1h`, `1d`). */
  ttl: string;
  issuer: string;
  audience: string | string[];
  /** Subject of an acting party (an agent), written as the RFC 8693 `act` claim. */
  actor?: string;
  /** More claims; they may replace `groups` and `act` but not iss, sub, aud, iat, exp or jti. */
  extraClaims?: Record<string, unknown>;
  /** Milliseconds since the epoch; for tests. */
  now?: () => number;
}

/** A compact JWT signed with the private JWK, using its `alg` and `kid`. */
export async function mintDevToken(opts: MintOptions): Promise<string> {
  const { privateJwk } = opts;
  if (typeof privateJwk.d !== 'string') throw new Error('the key is not a private key (no "d"): pass the private key file, not jwks.json');
  if (typeof privateJwk.alg !== 'string') throw new Error('the private key has no "alg": regenerate it with sqlveil keygen');
  if (typeof privateJwk.kid !== 'string') throw new Error('the private key has no "kid": regenerate it with sqlveil keygen');
  if (opts.subject === '') throw new Error('the subject is empty');
  const lifetime = parseTtl(opts.ttl);
  const issuedAt = Math.floor((opts.now ?? Date.now)() / 1000);
  const claims: Record<string, unknown> = {};
  if (opts.groups.length > 0) claims.groups = opts.groups;
  if (opts.actor !== undefined) claims.act = { sub: opts.actor };
  const key = await importJWK(privateJwk, privateJwk.alg);
  return new SignJWT({ ...claims, ...opts.extraClaims })
    .setProtectedHeader({ alg: privateJwk.alg, kid: privateJwk.kid, typ: 'JWT' })
    .setIssuer(opts.issuer)
    .setSubject(opts.subject)
    .setAudience(opts.audience)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + lifetime)
    .setJti(randomUUID())
    .sign(key);
}

const TTL_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `15m` -> 900. Strict: one positive whole number and one unit, nothing else. */
export function parseTtl(ttl: string): number {
  const match = /^([1-9]\d{0,6})([smhd])$/.exec(ttl);
  if (!match) throw new Error(`invalid ttl '${ttl}': use a whole number followed by s, m, h or d (e.g. 30s, 15m, 1h, 1d)`);
  return Number(match[1]) * (TTL_UNITS[match[2] as string] as number);
}
