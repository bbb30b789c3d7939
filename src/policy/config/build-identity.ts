// `identity`: how client JWTs are verified.
import { isLoopbackHost } from './addresses.js';
import type { BuildContext } from './build-context.js';
import { readTextFile } from './files.js';
import type { PathSegment } from './issues.js';
import type { RawIdentity } from './raw.js';
import type { IdentityConfig } from './types.js';

export const defaultAlgorithms = ['RS256', 'ES256', 'EdDSA', 'PS256'];

// Asymmetric JWS algorithms only: with a shared secret (HS*) anyone holding the verification key
// could mint tokens, and `none` accepts unsigned ones.
const knownAlgorithms = [
  ...['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
  ...['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'],
];

export function buildIdentity(raw: RawIdentity, ctx: BuildContext): IdentityConfig {
  const at = ['identity'];
  const identity: IdentityConfig = {
    issuer: raw.issuer,
    audience: typeof raw.audience === 'string' ? [raw.audience] : raw.audience,
    jwks: { kind: 'file', path: '' },
    algorithms: raw.algorithms ?? [...defaultAlgorithms],
    clockSkewSeconds: raw.clockSkewSeconds ?? 30,
    subjectClaim: raw.subjectClaim ?? 'sub',
    groupsClaim: raw.groupsClaim ?? 'groups',
    userMismatch: raw.userMismatch ?? 'reject',
  };

  if (ctx.usable([...at, 'jwks']) && ctx.usable([...at, 'discovery'])) {
    // Empty counts as not given, so either can come from an optional environment variable.
    const jwks = raw.jwks || undefined;
    const discovery = raw.discovery || undefined;
    if (jwks !== undefined && discovery !== undefined) {
      ctx.log.error([...at, 'discovery'], 'give either jwks or discovery, not both');
    } else if (jwks !== undefined) {
      const source = jwksSource(jwks, [...at, 'jwks'], ctx);
      if (source) identity.jwks = source;
    } else if (discovery !== undefined) {
      if (checkKeyUrl(discovery, [...at, 'discovery'], ctx)) identity.jwks = { kind: 'discovery', url: discovery };
    } else {
      const empty = raw.jwks === '' ? 'jwks' : raw.discovery === '' ? 'discovery' : undefined;
      const need = 'identity needs a key source: jwks (a JWKS file or https:// URL) or discovery (an OpenID discovery URL)';
      ctx.log.error(empty ? [...at, empty] : at, empty ? `${empty} is empty: ${need}` : need);
    }
  }

  if (ctx.usable([...at, 'algorithms'])) {
    identity.algorithms.forEach((alg, i) => {
      const message = algorithmProblem(alg);
      if (message) ctx.log.error([...at, 'algorithms', i], message);
    });
  }
  return identity;
}

function algorithmProblem(alg: string): string | undefined {
  if (alg.toLowerCase() === 'none') return '"none" would accept unsigned tokens and is never allowed';
  if (/^HS\d+$/i.test(alg)) {
    const examples = defaultAlgorithms.join(', ');
    return `${alg} is a shared-secret (HMAC) algorithm: only asymmetric signatures are accepted (${examples}, ...)`;
  }
  if (!knownAlgorithms.includes(alg)) return `unknown algorithm "${alg}": expected one of ${knownAlgorithms.join(', ')}`;
  return undefined;
}

function jwksSource(value: string, path: PathSegment[], ctx: BuildContext): IdentityConfig['jwks'] | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    return checkKeyUrl(value, path, ctx) ? { kind: 'url', url: value } : undefined;
  }
  const file = ctx.resolve(value);
  const read = readTextFile(file);
  if (!read.ok) {
    const hint = read.message.endsWith('does not exist') ? ' (for development, `sqlveil keygen` writes one)' : '';
    ctx.log.error(path, `JWKS file: ${read.message}${hint}`);
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(read.text);
  } catch {
    ctx.log.error(path, `JWKS file ${file} is not valid JSON`);
    return undefined;
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) {
    ctx.log.error(path, `JWKS file ${file} has no "keys" list`);
    return undefined;
  }
  if (keys.length === 0) ctx.log.warn(path, `JWKS file ${file} holds no keys yet: every token is refused until it does`);
  if (keys.some((key) => (key as { d?: unknown } | null)?.d !== undefined)) {
    ctx.log.warn(path, `JWKS file ${file} holds private key material ("d"): the gateway needs only public keys`);
  }
  return { kind: 'file', path: file };
}

/** https://, or http:// to this machine only (a development identity provider). */
function checkKeyUrl(value: string, path: PathSegment[], ctx: BuildContext): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.log.error(path, `"${value}" is not a valid URL`);
    return false;
  }
  if (url.protocol === 'https:') return true;
  if (url.protocol === 'http:') {
    if (isLoopbackHost(url.hostname)) return true;
    // Keys fetched in the clear could be replaced on the way.
    ctx.log.error(path, 'http:// is allowed only for loopback hosts: use https://');
    return false;
  }
  ctx.log.error(path, `unsupported URL scheme "${url.protocol}": use https:// (or a file path)`);
  return false;
}
