import { decodeJwt, decodeProtectedHeader } from 'jose';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_KEY_ALGORITHMS, generateDevKey, mintDevToken, parseTtl } from '../../../src/identity/dev-keys.js';
import { JwtVerifier } from '../../../src/identity/jwt-verifier.js';
import { AUDIENCE, identityConfig, ISSUER, NOW_MS, NOW_S, ROLES, tempDir, writeJwks } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

describe('generateDevKey', () => {
  it('returns a private JWK and a public JWKS sharing a random kid', async () => {
    const a = await generateDevKey();
    const b = await generateDevKey();
    expect(a.privateJwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(typeof a.privateJwk.d).toBe('string');
    expect(a.publicJwks.keys).toHaveLength(1);
    expect(a.publicJwks.keys[0]).toMatchObject({ kid: a.privateJwk.kid, alg: 'ES256' });
    expect(a.publicJwks.keys[0]).not.toHaveProperty('d');
    expect(a.privateJwk.kid).not.toBe(b.privateJwk.kid);
  });
});

describe('mintDevToken', () => {
  it.each(DEV_KEY_ALGORITHMS)('round-trips through the verifier with %s', async (alg) => {
    const key = await generateDevKey(alg);
    const path = join(dir, `${alg}.json`);
    await writeJwks(path, key.publicJwks);
    const token = await mintDevToken({
      privateJwk: key.privateJwk,
      subject: 'alice',
      groups: ['nurses'],
      ttl: '15m',
      issuer: ISSUER,
      audience: AUDIENCE,
      actor: 'agent-1',
      extraClaims: { email: 'alice@clinic.test' },
      now: () => NOW_MS,
    });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg, kid: key.privateJwk.kid });
    expect(decodeJwt(token)).toMatchObject({ email: 'alice@clinic.test', iat: NOW_S, exp: NOW_S + 900 });
    const verifier = new JwtVerifier(identityConfig({ jwks: { kind: 'file', path } }), ROLES, { now: () => NOW_MS });
    const identity = await verifier.verify(token);
    expect(identity).toMatchObject({ subject: 'alice', groups: ['nurses'], role: 'clinician', issuer: ISSUER, expiresAt: NOW_S + 900 });
    expect(identity.actor).toEqual({ subject: 'agent-1', chain: [] });
    expect(identity.tokenId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses a public key and a bad ttl', async () => {
    const key = await generateDevKey();
    const base = { subject: 'alice', groups: [], ttl: '1h', issuer: ISSUER, audience: AUDIENCE };
    await expect(mintDevToken({ ...base, privateJwk: key.publicJwks.keys[0]! })).rejects.toThrow(/not a private key/);
    await expect(mintDevToken({ ...base, privateJwk: key.privateJwk, ttl: '1 hour' })).rejects.toThrow(/invalid ttl/);
  });
});

describe('parseTtl', () => {
  it('parses s, m, h and d', () => {
    expect(parseTtl('30s')).toBe(30);
    expect(parseTtl('15m')).toBe(900);
    expect(parseTtl('1h')).toBe(3600);
    expect(parseTtl('2d')).toBe(172_800);
  });
  it.each(['', '15', 'm', '0s', '-5m', '1.5h', '15M', ' 15m', '15m ', '1w', '15min', '99999999s'])('refuses %j', (ttl) => {
    expect(() => parseTtl(ttl)).toThrow(/invalid ttl .*: use a whole number followed by s, m, h or d/);
  });
});
