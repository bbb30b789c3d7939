// Shared fixtures for the identity tests: config, roles, key files, hand-built tokens, a JSON server.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';
import type { IdentityConfig, RoleConfig } from '../../../src/policy/config/types.js';

export const ISSUER = 'https://idp.example.test/realms/clinic';
export const AUDIENCE = 'sqlveil';
/** Fixed clock for verifier and minted tokens: 2030-01-01T00:00:00Z. */
export const NOW_MS = Date.UTC(2030, 0, 1);
export const NOW_S = NOW_MS / 1000;

export const ROLES: RoleConfig[] = [
  { name: 'auditor', groups: ['auditors'], credentials: {} },
  { name: 'clinician', groups: ['clinicians', 'nurses'], credentials: {} },
  { name: 'analyst', groups: ['analysts', 'clinicians'], credentials: {} },
];

export function identityConfig(overrides: Partial<IdentityConfig> = {}): IdentityConfig {
  return {
    issuer: ISSUER,
    audience: [AUDIENCE],
    jwks: { kind: 'file', path: '/nonexistent/jwks.json' },
    algorithms: ['ES256', 'RS256', 'EdDSA'],
    clockSkewSeconds: 60,
    subjectClaim: 'sub',
    groupsClaim: 'groups',
    userMismatch: 'reject',
    ...overrides,
  };
}

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'sqlveil-identity-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function writeJwks(path: string, ...sets: { keys: JWK[] }[]): Promise<void> {
  await writeFile(path, JSON.stringify({ keys: sets.flatMap((s) => s.keys) }));
}

/** Signs exactly the claims given (no defaults added), so tests can leave out exp and friends. */
export async function signRaw(privateJwk: JWK, claims: JWTPayload, header: { kid?: string | null; alg?: string } = {}): Promise<string> {
  const alg = header.alg ?? (privateJwk.alg as string);
  const kid = header.kid === null ? undefined : (header.kid ?? privateJwk.kid);
  return new SignJWT(claims).setProtectedHeader(kid === undefined ? { alg } : { alg, kid }).sign(await importJWK(privateJwk, alg));
}

/** Typical valid claims at NOW_S; spread overrides over them. */
export function claims(overrides: JWTPayload = {}): JWTPayload {
  return { iss: ISSUER, aud: AUDIENCE, sub: 'alice', groups: ['clinicians'], iat: NOW_S, exp: NOW_S + 900, jti: 'tok-1', ...overrides };
}

export function base64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

type Route = (req: IncomingMessage) => { status?: number; body: unknown };

/** A JSON server on 127.0.0.1 with an ephemeral port; counts hits per path. */
export async function serveJson(routes: Record<string, Route>): Promise<{ base: string; hits: Map<string, number>; close: () => Promise<void> }> {
  const hits = new Map<string, number>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const route = routes[path];
    const { status = 200, body } = route ? route(req) : { status: 404, body: { error: 'not found' } };
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
