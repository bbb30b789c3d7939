// Verifies the JWT a client sends as its database password and maps it to a role.
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyOptions, type ProtectedHeaderParameters } from 'jose';
import type { IdentityConfig, RoleConfig } from '../policy/config/types.js';
import { pickRole, readActor, readGroups, readSubject } from './claims.js';
import { createKeySource, type Clock, type KeyResolver, type KeySource } from './key-source.js';
import { isoTime, shown } from './shown.js';
import { IdentityError, type TokenVerifier, type VerifiedIdentity } from './types.js';
import { toIdentityError } from './verify-errors.js';

export { matchesStartupUser } from './startup-user.js';

/**
 * Asymmetric JWS algorithms only. `none` is unsigned, and HS* would let anyone holding the public
 * key (it is public) mint tokens if a key set ever yielded it as an HMAC secret.
 */
const ASYMMETRIC_ALGORITHMS = new Set([
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'EdDSA', 'Ed25519',
  'ML-DSA-44', 'ML-DSA-65', 'ML-DSA-87',
]);

/** Larger than any real access token; bounds the work an unauthenticated client can ask for. */
const MAX_TOKEN_LENGTH = 64 * 1024;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const COMPACT_JWE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*){4}$/;

export interface JwtVerifierOptions {
  /** Milliseconds since the epoch, like Date.now; for tests. */
  now?: Clock;
  /** Overrides the key source built from `identity.jwks` (tests, embedding). */
  keySource?: KeySource;
  /** File key sources: least time between re-reads of the JWKS file (default 30 s). */
  rereadIntervalMs?: number;
}

export class JwtVerifier implements TokenVerifier {
  private readonly now: Clock;
  private readonly keys: KeySource;
  private readonly algorithms: string[];

  constructor(
    private readonly identity: IdentityConfig,
    private readonly roles: readonly RoleConfig[],
    opts: JwtVerifierOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.algorithms = acceptedAlgorithms(identity.algorithms);
    if (identity.audience.length === 0) throw new Error('identity.audience is empty: no token could be accepted');
    this.keys = opts.keySource ?? createKeySource(identity, { now: this.now, rereadIntervalMs: opts.rereadIntervalMs });
  }

  /** Loads the signing keys now so startup can report a broken key source; rejects with IdentityError `keys_unavailable`. */
  loadKeys(): Promise<void> {
    return this.keys.load();
  }

  /** Where the keys come from (a file path or URL), for startup logs. */
  get keySource(): string {
    return this.keys.description;
  }

  async verify(token: string): Promise<VerifiedIdentity> {
    // A JWT holds no whitespace; a trailing newline from `$(sqlveil token ...)` or a file is harmless.
    const compact = token.trim();
    const header = this.checkShape(compact);
    const payload = await this.verifySignatureAndClaims(compact, header);
    return this.toIdentity(payload);
  }

  /** Cheap refusals before any crypto or key fetch: not a JWT at all, encrypted, unsigned, wrong algorithm. */
  private checkShape(token: string): ProtectedHeaderParameters {
    if (token.length > MAX_TOKEN_LENGTH) throw new IdentityError(`password is too long to be a token (over ${MAX_TOKEN_LENGTH} bytes)`, 'bad_token');
    if (COMPACT_JWE.test(token)) throw new IdentityError('encrypted tokens (JWE) are not accepted: send a signed JWT as the password', 'bad_token');
    if (!COMPACT_JWS.test(token)) throw new IdentityError('password is not a JWT: send an OIDC access token as the password', 'bad_token');
    let header: ProtectedHeaderParameters;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new IdentityError('password is not a JWT (its header is not valid JSON): send an OIDC access token as the password', 'bad_token');
    }
    // Base64url leaves spare bits in the last character: a token whose signature is not written
    // canonically is not the token the issuer signed, so it is refused as forged (no malleability).
    const signature = token.slice(token.lastIndexOf('.') + 1);
    if (Buffer.from(signature, 'base64url').toString('base64url') !== signature) {
      throw new IdentityError('token signature verification failed', 'forged');
    }
    const { alg } = header;
    if (alg === undefined || alg === 'none') throw new IdentityError('unsigned tokens (alg none) are refused', 'bad_token');
    if (!this.algorithms.includes(alg)) {
      throw new IdentityError(`token algorithm ${shown(alg)} is not accepted: the gateway accepts ${this.algorithms.join(', ')}`, 'bad_token');
    }
    return header;
  }

  private async verifySignatureAndClaims(token: string, header: ProtectedHeaderParameters): Promise<JWTPayload> {
    const options: JWTVerifyOptions = {
      algorithms: this.algorithms,
      issuer: this.identity.issuer,
      audience: this.identity.audience,
      clockTolerance: this.identity.clockSkewSeconds,
      requiredClaims: ['exp'],
      currentDate: new Date(this.now()),
    };
    let payload: JWTPayload;
    try {
      payload = await verifyWithKeySet(token, this.keys.resolve, options);
    } catch (err) {
      throw this.wrongIssuerHint(token, err) ?? toIdentityError(err, this.identity, header.kid);
    }
    // jose checks iat only against a maximum age; a token issued in the future means a broken clock.
    const nowSeconds = Math.floor(this.now() / 1000);
    if (typeof payload.iat === 'number' && payload.iat > nowSeconds + this.identity.clockSkewSeconds) {
      throw new IdentityError(`token was issued in the future (${isoTime(payload.iat)}): check the clocks of the gateway and the issuer`, 'claims');
    }
    return payload;
  }

  /**
   * A token whose key we do not know, or whose signature fails, is most often from another issuer
   * (a different realm or tenant): say so. The unverified `iss` is only used to explain a refusal.
   */
  private wrongIssuerHint(token: string, err: unknown): IdentityError | undefined {
    if (!(err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWSSignatureVerificationFailed)) return undefined;
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      return undefined;
    }
    if (iss === this.identity.issuer) return undefined;
    return new IdentityError(`token issuer ${shown(iss)} is not the configured issuer '${this.identity.issuer}'`, 'claims');
  }

  private toIdentity(payload: JWTPayload): VerifiedIdentity {
    const subject = readSubject(payload, this.identity.subjectClaim);
    const actor = readActor(payload);
    const groups = readGroups(payload, this.identity.groupsClaim);
    const role = pickRole(groups, this.roles, this.identity.groupsClaim);
    const identity: VerifiedIdentity = {
      subject,
      groups,
      role,
      issuer: payload.iss as string, // required and matched by jwtVerify
      expiresAt: payload.exp as number, // required and type-checked by jwtVerify
    };
    if (typeof payload.jti === 'string' && payload.jti !== '') identity.tokenId = payload.jti;
    if (actor) identity.actor = actor;
    return identity;
  }
}

/** The configured algorithms minus anything unsigned or symmetric; none left is a configuration error. */
export function acceptedAlgorithms(configured: readonly string[]): string[] {
  const accepted = [...new Set(configured.filter((alg) => ASYMMETRIC_ALGORITHMS.has(alg)))];
  if (accepted.length === 0) {
    throw new Error(
      `identity.algorithms accepts no asymmetric algorithm (${configured.join(', ') || 'empty'}): use e.g. RS256 or ES256; none and HS* are never accepted`,
    );
  }
  return accepted;
}

/**
 * jwtVerify with a key set that may hold several keys matching the token (no `kid`, or a reused
 * one during rotation): jose reports that as an error carrying the candidates; try each in turn.
 */
async function verifyWithKeySet(token: string, resolve: KeyResolver, options: JWTVerifyOptions): Promise<JWTPayload> {
  try {
    return (await jwtVerify(token, resolve, options)).payload;
  } catch (err) {
    if (!(err instanceof errors.JWKSMultipleMatchingKeys)) throw err;
    for await (const key of err) {
      try {
        return (await jwtVerify(token, key, options)).payload;
      } catch (inner) {
        if (!(inner instanceof errors.JWSSignatureVerificationFailed)) throw inner;
      }
    }
    throw new errors.JWSSignatureVerificationFailed();
  }
}
