import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateDevKey, type DevKey } from '../../../src/identity/dev-keys.js';
import { JwtVerifier } from '../../../src/identity/jwt-verifier.js';
import { createKeySource } from '../../../src/identity/key-source.js';
import { IdentityError } from '../../../src/identity/types.js';
import type { IdentityConfig } from '../../../src/policy/config/types.js';
import { claims, identityConfig, ISSUER, NOW_MS, ROLES, serveJson, signRaw, tempDir, writeJwks } from './helpers.js';

let keyA: DevKey;
let keyB: DevKey;
let keyC: DevKey;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  [keyA, keyB, keyC] = await Promise.all([generateDevKey('ES256'), generateDevKey('RS256'), generateDevKey('EdDSA')]);
  ({ dir, cleanup } = await tempDir());
});
afterAll(() => cleanup());

async function reasonOf(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(IdentityError);
  return (err as IdentityError).reason;
}

describe('file key source', () => {
  it('re-reads the JWKS file when a token names an unknown kid, at most once per interval', async () => {
    const path = join(dir, 'rotating.json');
    await writeJwks(path, keyA.publicJwks);
    let now = NOW_MS;
    const v = new JwtVerifier(identityConfig({ jwks: { kind: 'file', path } }), ROLES, { now: () => now });
    expect((await v.verify(await signRaw(keyA.privateJwk, claims()))).subject).toBe('alice');

    // The issuer rotates in key B: the first token that names it triggers a re-read.
    await writeJwks(path, keyA.publicJwks, keyB.publicJwks);
    expect((await v.verify(await signRaw(keyB.privateJwk, claims()))).subject).toBe('alice');

    // Key C appears within the interval: no second re-read yet, so C is unknown.
    await writeJwks(path, keyA.publicJwks, keyB.publicJwks, keyC.publicJwks);
    const tokenC = await signRaw(keyC.privateJwk, claims());
    expect(await reasonOf(v.verify(tokenC))).toBe('forged');
    now += 31_000;
    expect((await v.verify(tokenC)).subject).toBe('alice');
  });

  it('drops a key removed from the file once the change is noticed', async () => {
    const path = join(dir, 'revoking.json');
    await writeJwks(path, keyA.publicJwks, keyB.publicJwks);
    let now = NOW_MS;
    const v = new JwtVerifier(identityConfig({ jwks: { kind: 'file', path } }), ROLES, { now: () => now });
    const tokenB = await signRaw(keyB.privateJwk, claims());
    expect((await v.verify(tokenB)).subject).toBe('alice');
    await writeJwks(path, keyA.publicJwks);
    now += 31_000;
    expect(await reasonOf(v.verify(tokenB))).toBe('forged');
  });

  it('keeps the loaded keys when the file breaks mid-rotation', async () => {
    const path = join(dir, 'breaking.json');
    await writeJwks(path, keyA.publicJwks);
    let now = NOW_MS;
    const v = new JwtVerifier(identityConfig({ jwks: { kind: 'file', path } }), ROLES, { now: () => now });
    const tokenA = await signRaw(keyA.privateJwk, claims());
    await v.loadKeys();
    await writeFile(path, '{"keys": [');
    now += 31_000;
    expect((await v.verify(tokenA)).subject).toBe('alice');
    expect(await reasonOf(v.verify(await signRaw(keyB.privateJwk, claims())))).toBe('forged');
  });

  it('refuses files that are not a public key set', async () => {
    const cases: [string, string, RegExp][] = [
      ['garbage.json', 'not json', /not valid JSON/],
      ['array.json', '[]', /not a JSON Web Key Set/],
      ['empty.json', '{"keys": []}', /no keys/],
      ['private.json', JSON.stringify({ keys: [keyA.privateJwk] }), /private key/],
      ['private-single.json', JSON.stringify(keyA.privateJwk), /private key/],
      ['oct.json', JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }), /symmetric/],
    ];
    for (const [name, text, message] of cases) {
      const path = join(dir, name);
      await writeFile(path, text);
      const source = createKeySource({ issuer: ISSUER, jwks: { kind: 'file', path } });
      const err = await source.load().then(
        () => undefined,
        (e: unknown) => e as IdentityError,
      );
      expect(err?.reason, name).toBe('keys_unavailable');
      expect(err?.message, name).toMatch(message);
      expect(err?.message, name).not.toContain(String(keyA.privateJwk.d));
    }
  });

  it('accepts a file holding a single public JWK', async () => {
    const path = join(dir, 'single.json');
    await writeFile(path, JSON.stringify(keyA.publicJwks.keys[0]));
    const v = new JwtVerifier(identityConfig({ jwks: { kind: 'file', path } }), ROLES, { now: () => NOW_MS });
    expect((await v.verify(await signRaw(keyA.privateJwk, claims()))).subject).toBe('alice');
  });
});

describe('remote key sources', () => {
  const servers: { close: () => Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  function verifier(jwks: IdentityConfig['jwks'], issuer = ISSUER): JwtVerifier {
    return new JwtVerifier(identityConfig({ jwks, issuer }), ROLES, { now: () => NOW_MS });
  }

  it('verifies with a remote JWKS, fetched once and cached', async () => {
    const server = await serveJson({ '/jwks': () => ({ body: keyA.publicJwks }) });
    servers.push(server);
    const v = verifier({ kind: 'url', url: `${server.base}/jwks` });
    const token = await signRaw(keyA.privateJwk, claims());
    expect((await v.verify(token)).subject).toBe('alice');
    expect((await v.verify(token)).subject).toBe('alice');
    expect(server.hits.get('/jwks')).toBe(1);
  });

  it('refuses, fail-closed, when the JWKS URL fails', async () => {
    const server = await serveJson({ '/jwks': () => ({ status: 500, body: {} }) });
    servers.push(server);
    const v = verifier({ kind: 'url', url: `${server.base}/jwks` });
    expect(await reasonOf(v.verify(await signRaw(keyA.privateJwk, claims())))).toBe('keys_unavailable');
    await expect(v.loadKeys()).rejects.toThrow(/cannot load keys from http:\/\/127\.0\.0\.1:\d+\/jwks/);

    const gone = await serveJson({});
    await gone.close();
    const closed = verifier({ kind: 'url', url: `${gone.base}/jwks` });
    await expect(closed.loadKeys()).rejects.toThrow(/connection refused/);
  });

  it('allows plain http only for loopback hosts', () => {
    expect(() => verifier({ kind: 'url', url: 'http://idp.example.test/jwks' })).toThrow(/must use https/);
    expect(() => verifier({ kind: 'discovery', url: 'http://idp.example.test/' })).toThrow(/must use https/);
    expect(() => verifier({ kind: 'url', url: 'not a url' })).toThrow(/not a valid URL/);
    expect(() => verifier({ kind: 'url', url: 'http://localhost:8080/jwks' })).not.toThrow();
    expect(() => verifier({ kind: 'url', url: 'https://idp.example.test/jwks' })).not.toThrow();
  });

  it('uses the jwks_uri of a discovery document whose issuer matches', async () => {
    let base = '';
    const server = await serveJson({
      '/realms/clinic/.well-known/openid-configuration': () => ({ body: { issuer: `${base}/realms/clinic`, jwks_uri: `${base}/certs` } }),
      '/certs': () => ({ body: keyA.publicJwks }),
    });
    servers.push(server);
    base = server.base;
    const issuer = `${base}/realms/clinic`;
    // The issuer URL is enough: the well-known path is added.
    const v = verifier({ kind: 'discovery', url: issuer }, issuer);
    const token = await signRaw(keyA.privateJwk, claims({ iss: issuer }));
    expect((await v.verify(token)).issuer).toBe(issuer);
    expect((await v.verify(token)).subject).toBe('alice');
    expect(server.hits.get('/realms/clinic/.well-known/openid-configuration')).toBe(1);
    expect(server.hits.get('/certs')).toBe(1);
  });

  it('refuses a discovery document that names another issuer, and retries after a failure', async () => {
    let docIssuer = 'https://someone-else.test/';
    const server = await serveJson({
      '/.well-known/openid-configuration': () => ({ body: { issuer: docIssuer, jwks_uri: `${server.base}/certs` } }),
      '/certs': () => ({ body: keyA.publicJwks }),
    });
    servers.push(server);
    const v = verifier({ kind: 'discovery', url: `${server.base}/.well-known/openid-configuration` });
    const token = await signRaw(keyA.privateJwk, claims());
    const err = await v.verify(token).then(
      () => undefined,
      (e: unknown) => e as IdentityError,
    );
    expect(err?.reason).toBe('keys_unavailable');
    expect(err?.message).toContain(`names issuer 'https://someone-else.test/' but the rules file expects '${ISSUER}'`);
    expect(server.hits.get('/certs')).toBeUndefined();

    docIssuer = ISSUER;
    expect((await v.verify(token)).subject).toBe('alice');
    expect(server.hits.get('/.well-known/openid-configuration')).toBe(2);
  });

  it('refuses a discovery document whose jwks_uri is cleartext to another host', async () => {
    const server = await serveJson({
      '/.well-known/openid-configuration': () => ({ body: { issuer: ISSUER, jwks_uri: 'http://idp.example.test/certs' } }),
    });
    servers.push(server);
    const v = verifier({ kind: 'discovery', url: `${server.base}/` });
    await expect(v.loadKeys()).rejects.toThrow(/jwks_uri from the discovery document http:\/\/idp\.example\.test\/certs must use https/);
  });
});
