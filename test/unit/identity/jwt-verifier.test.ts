import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDevKey, type DevKey } from '../../../src/identity/dev-keys.js';
import { acceptedAlgorithms, JwtVerifier, matchesStartupUser } from '../../../src/identity/jwt-verifier.js';
import { IdentityError, type VerifiedIdentity } from '../../../src/identity/types.js';
import type { IdentityConfig } from '../../../src/policy/config/types.js';
import { AUDIENCE, base64urlJson, claims, identityConfig, ISSUER, NOW_MS, NOW_S, ROLES, signRaw, tempDir, writeJwks } from './helpers.js';

let key: DevKey;
let other: DevKey;
let dir: string;
let cleanup: () => Promise<void>;
let jwksPath: string;

beforeAll(async () => {
  key = await generateDevKey('ES256');
  other = await generateDevKey('ES256');
  ({ dir, cleanup } = await tempDir());
  jwksPath = join(dir, 'jwks.json');
  await writeJwks(jwksPath, key.publicJwks);
});
afterAll(() => cleanup());

function verifier(overrides: Partial<IdentityConfig> = {}, now = NOW_MS): JwtVerifier {
  return new JwtVerifier(identityConfig({ jwks: { kind: 'file', path: jwksPath }, ...overrides }), ROLES, { now: () => now });
}

async function refusal(promise: Promise<VerifiedIdentity>): Promise<IdentityError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(IdentityError);
  return err as IdentityError;
}

describe('JwtVerifier: accepted tokens', () => {
  it('maps a valid token to an identity with its role', async () => {
    const token = await signRaw(key.privateJwk, claims());
    await expect(verifier().verify(token)).resolves.toEqual({
      subject: 'alice',
      groups: ['clinicians'],
      role: 'clinician',
      issuer: ISSUER,
      expiresAt: NOW_S + 900,
      tokenId: 'tok-1',
    });
  });

  it('picks the first role in rules-file order whose groups match', async () => {
    const both = await signRaw(key.privateJwk, claims({ groups: ['clinicians', 'auditors'] }));
    expect((await verifier().verify(both)).role).toBe('auditor');
    // `clinicians` is mapped by clinician and analyst: the earlier one wins.
    const clinician = await signRaw(key.privateJwk, claims({ groups: ['analysts', 'clinicians'] }));
    expect((await verifier().verify(clinician)).role).toBe('clinician');
  });

  it('tolerates surrounding whitespace such as a trailing newline', async () => {
    const token = await signRaw(key.privateJwk, claims());
    expect((await verifier().verify(`${token}\n`)).subject).toBe('alice');
  });

  it('reads groups from a space/comma separated string and from a nested claim path', async () => {
    const spaced = await signRaw(key.privateJwk, claims({ groups: 'nurses, other  x' }));
    expect(await verifier().verify(spaced)).toMatchObject({ groups: ['nurses', 'other', 'x'], role: 'clinician' });

    const nested = await signRaw(key.privateJwk, claims({ groups: undefined, realm_access: { roles: ['auditors'] } }));
    expect(await verifier({ groupsClaim: 'realm_access.roles' }).verify(nested)).toMatchObject({ groups: ['auditors'], role: 'auditor' });

    // Namespaced claim names contain dots: the literal name wins over a path.
    const namespaced = await signRaw(key.privateJwk, claims({ 'https://example.test/groups': ['analysts'] }));
    expect((await verifier({ groupsClaim: 'https://example.test/groups' }).verify(namespaced)).role).toBe('analyst');
  });

  it('reads the subject from the configured claim', async () => {
    const token = await signRaw(key.privateJwk, claims({ email: 'alice@clinic.test' }));
    expect((await verifier({ subjectClaim: 'email' }).verify(token)).subject).toBe('alice@clinic.test');
  });

  it('reads the RFC 8693 act chain', async () => {
    const token = await signRaw(key.privateJwk, claims({ act: { sub: 'agent-7', act: { sub: 'orchestrator', act: { sub: 'ui' } } } }));
    expect((await verifier().verify(token)).actor).toEqual({ subject: 'agent-7', chain: ['orchestrator', 'ui'] });
    const single = await signRaw(key.privateJwk, claims({ act: { sub: 'agent-7' } }));
    expect((await verifier().verify(single)).actor).toEqual({ subject: 'agent-7', chain: [] });
  });

  it('accepts an expired token within the clock skew, and a token with several matching keys and no kid', async () => {
    const token = await signRaw(key.privateJwk, claims({ exp: NOW_S - 30 }));
    expect((await verifier({ clockSkewSeconds: 60 }).verify(token)).subject).toBe('alice');

    const path = join(dir, 'two-keys.json');
    await writeJwks(path, other.publicJwks, key.publicJwks);
    const noKid = await signRaw(key.privateJwk, claims(), { kid: null });
    const v = new JwtVerifier(identityConfig({ jwks: { kind: 'file', path } }), ROLES, { now: () => NOW_MS });
    expect((await v.verify(noKid)).subject).toBe('alice');
  });
});

describe('JwtVerifier: refusals', () => {
  it('refuses a token without a matching role', async () => {
    const token = await signRaw(key.privateJwk, claims({ groups: ['janitors', 'visitors'] }));
    const err = await refusal(verifier().verify(token));
    expect(err.reason).toBe('no_role');
    expect(err.message).toBe("no role for groups ['janitors', 'visitors']: the rules file maps groups auditors, clinicians, nurses, analysts");
    const none = await refusal(verifier().verify(await signRaw(key.privateJwk, claims({ groups: undefined }))));
    expect(none.message).toContain("the token carries no groups in claim 'groups'");
  });

  it('refuses an expired token with its expiry time', async () => {
    const token = await signRaw(key.privateJwk, claims({ exp: NOW_S - 120 }));
    const err = await refusal(verifier({ clockSkewSeconds: 60 }).verify(token));
    expect(err.reason).toBe('expired');
    expect(err.message).toBe('token expired at 2029-12-31T23:58:00.000Z: get a fresh token');
  });

  it('refuses a token that is not yet valid or issued in the future', async () => {
    const nbf = await refusal(verifier().verify(await signRaw(key.privateJwk, claims({ nbf: NOW_S + 600 }))));
    expect(nbf.reason).toBe('claims');
    expect(nbf.message).toContain('not valid before 2030-01-01T00:10:00.000Z');
    // Within the skew it passes.
    expect((await verifier().verify(await signRaw(key.privateJwk, claims({ nbf: NOW_S + 30 })))).subject).toBe('alice');

    const iat = await refusal(verifier().verify(await signRaw(key.privateJwk, claims({ iat: NOW_S + 600 }))));
    expect(iat.reason).toBe('claims');
    expect(iat.message).toContain('issued in the future');
  });

  it('refuses a wrong issuer and names the claim', async () => {
    const err = await refusal(verifier().verify(await signRaw(key.privateJwk, claims({ iss: 'https://evil.test/' }))));
    expect(err.reason).toBe('claims');
    expect(err.message).toBe(`token issuer 'https://evil.test/' is not the configured issuer '${ISSUER}'`);
  });

  it('refuses a wrong audience and names the claim', async () => {
    const err = await refusal(verifier().verify(await signRaw(key.privateJwk, claims({ aud: ['other-app', 'api'] }))));
    expect(err.reason).toBe('claims');
    expect(err.message).toBe(`token audience ['other-app', 'api'] does not include ${AUDIENCE}`);
    const accepted = await signRaw(key.privateJwk, claims({ aud: ['other-app', AUDIENCE] }));
    expect((await verifier().verify(accepted)).subject).toBe('alice');
  });

  it('refuses a token signed by another key that claims the same kid', async () => {
    const token = await signRaw(other.privateJwk, claims(), { kid: key.privateJwk.kid });
    const err = await refusal(verifier().verify(token));
    expect(err.reason).toBe('forged');
    expect(err.message).not.toContain(token.split('.')[2]);
  });

  it('refuses a token whose kid the key set does not hold', async () => {
    const err = await refusal(verifier().verify(await signRaw(other.privateJwk, claims())));
    expect(err.reason).toBe('forged');
    expect(err.message).toContain(`kid '${other.privateJwk.kid}'`);
  });

  it('refuses an unsigned (alg none) token', async () => {
    const token = `${base64urlJson({ alg: 'none', typ: 'JWT' })}.${base64urlJson(claims())}.`;
    const err = await refusal(verifier().verify(token));
    expect(err.reason).toBe('bad_token');
    expect(err.message).toContain('alg none');
  });

  it('refuses HS256 signed with the public key as the secret, even when the config lists HS256', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(key.publicJwks.keys[0]));
    const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: key.privateJwk.kid }).sign(secret);
    const err = await refusal(verifier({ algorithms: ['HS256', 'ES256', 'none'] }).verify(token));
    expect(err.reason).toBe('bad_token');
    expect(err.message).toBe("token algorithm 'HS256' is not accepted: the gateway accepts ES256");
  });

  it('refuses a token without exp', async () => {
    const err = await refusal(verifier().verify(await signRaw(key.privateJwk, claims({ exp: undefined }))));
    expect(err.reason).toBe('claims');
    expect(err.message).toContain('no exp');
  });

  it('refuses a password that is not a JWT, quickly and with a hint', async () => {
    for (const password of ['hunter2', '', 'a.b', 'a.b.c.d', 'not base64!.x.y']) {
      const err = await refusal(verifier().verify(password));
      expect(err.reason).toBe('bad_token');
      expect(err.message).toBe('password is not a JWT: send an OIDC access token as the password');
    }
    const jwe = await refusal(verifier().verify('aaa.bbb.ccc.ddd.eee'));
    expect(jwe.message).toContain('encrypted tokens (JWE)');
    const badHeader = await refusal(verifier().verify('bm90IGpzb24.e30.c2ln'));
    expect(badHeader.reason).toBe('bad_token');
  });

  it('refuses a missing subject and a malformed act claim', async () => {
    const noSub = await refusal(verifier().verify(await signRaw(key.privateJwk, claims({ sub: undefined }))));
    expect(noSub.reason).toBe('claims');
    expect(noSub.message).toContain("claim 'sub'");
    const badAct = await refusal(verifier().verify(await signRaw(key.privateJwk, claims({ act: { client: 'x' } }))));
    expect(badAct.reason).toBe('claims');
  });

  it('refuses, fail-closed, when the keys cannot be loaded', async () => {
    const v = verifier({ jwks: { kind: 'file', path: join(dir, 'missing.json') } });
    const err = await refusal(v.verify(await signRaw(key.privateJwk, claims())));
    expect(err.reason).toBe('keys_unavailable');
    expect(err.message).toContain('file not found');
    await expect(v.loadKeys()).rejects.toMatchObject({ reason: 'keys_unavailable' });
  });

  it('never echoes the token in a message', async () => {
    const tokens = [
      await signRaw(key.privateJwk, claims({ exp: NOW_S - 3600 })),
      await signRaw(key.privateJwk, claims({ iss: 'x' })),
      await signRaw(other.privateJwk, claims(), { kid: key.privateJwk.kid }),
    ];
    for (const token of tokens) {
      const err = await refusal(verifier().verify(token));
      for (const part of token.split('.')) expect(err.message).not.toContain(part);
    }
  });
});

describe('acceptedAlgorithms', () => {
  it('drops none and HS* and refuses a config with nothing left', () => {
    expect(acceptedAlgorithms(['none', 'HS256', 'RS256', 'HS512', 'ES256'])).toEqual(['RS256', 'ES256']);
    expect(() => acceptedAlgorithms(['HS256', 'none'])).toThrow(/no asymmetric algorithm/);
    expect(() => new JwtVerifier(identityConfig({ algorithms: ['HS256'] }), ROLES)).toThrow(/HS\*/);
  });
});

describe('matchesStartupUser', () => {
  const identity = { subject: 'alice' };
  it('accepts the subject itself or no user in either mode', () => {
    expect(matchesStartupUser(identity, 'alice', 'reject')).toBeUndefined();
    expect(matchesStartupUser(identity, '', 'reject')).toBeUndefined();
    expect(matchesStartupUser(identity, undefined, 'reject')).toBeUndefined();
  });
  it('rejects another name in reject mode and ignores it in ignore mode', () => {
    expect(matchesStartupUser(identity, 'bob', 'reject')).toBe("database user 'bob' does not match the token subject 'alice': connect with user name 'alice'");
    expect(matchesStartupUser(identity, 'bob', 'ignore')).toBeUndefined();
  });
});
