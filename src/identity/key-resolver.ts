// What every source of verification keys provides, and how key-loading failures are reported.
import { errors, type CryptoKey, type FlattenedJWSInput, type JWSHeaderParameters } from 'jose';
import { IdentityError } from './types.js';

/** Finds the public key for a token's header; the shape jose's jwtVerify accepts as `getKey`. */
export type KeyResolver = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>;

export interface KeySource {
  resolve: KeyResolver;
  /** Loads (or reloads) the keys now, so startup can fail early; rejects with IdentityError `keys_unavailable`. */
  load(): Promise<void>;
  /** Where the keys come from, for messages: a file path or URL. */
  readonly description: string;
}

/** Milliseconds since the epoch; injectable so tests can move time. */
export type Clock = () => number;

/**
 * Errors that say "this token's key is not in the set" rather than "the set could not be loaded":
 * the verifier maps them to a refusal of the token, not to an outage.
 */
export function isKeyMatchError(err: unknown): boolean {
  return (
    err instanceof errors.JWKSNoMatchingKey ||
    err instanceof errors.JWKSMultipleMatchingKeys ||
    err instanceof errors.JOSENotSupported
  );
}

/** Fail-closed refusal when keys cannot be loaded; the message names the source, never key material. */
export function keysUnavailable(source: string, err: unknown): IdentityError {
  if (err instanceof IdentityError) return err;
  return new IdentityError(`signing keys unavailable: cannot load keys from ${source}: ${describeLoadError(err)}`, 'keys_unavailable');
}

function describeLoadError(err: unknown): string {
  if (err instanceof errors.JWKSTimeout) return 'timed out';
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code ?? causeCode(err);
    if (code === 'ENOENT') return 'file not found';
    if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
    if (code === 'ECONNREFUSED') return 'connection refused';
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
    if (code && !code.startsWith('ERR_JOSE') && !code.startsWith('ERR_JWKS') && !code.startsWith('ERR_JWK')) return `${err.message} (${code})`;
    const cause = (err as { cause?: unknown }).cause;
    if (err.message === 'fetch failed' && cause instanceof Error) return `fetch failed: ${cause.message}`;
    return err.message;
  }
  return String(err);
}

/** fetch() reports network failures as TypeError('fetch failed') with the errno on `cause`. */
function causeCode(err: Error): string | undefined {
  const cause = (err as { cause?: unknown }).cause;
  if (cause && typeof cause === 'object' && 'code' in cause && typeof cause.code === 'string') return cause.code;
  return undefined;
}
