// Maps jose's verification errors to refusals a client can act on. Messages name the claim that
// failed and the expected value; they never quote the token or any key.
import { errors } from 'jose';
import type { IdentityConfig } from '../policy/config/types.js';
import { isoTime, shown, shownList } from './shown.js';
import { IdentityError } from './types.js';

export function toIdentityError(err: unknown, identity: Pick<IdentityConfig, 'issuer' | 'audience'>, kid: unknown): IdentityError {
  if (err instanceof IdentityError) return err;
  if (err instanceof errors.JWTExpired) {
    return new IdentityError(`token expired at ${isoTime(err.payload.exp)}: get a fresh token`, 'expired');
  }
  if (err instanceof errors.JWTClaimValidationFailed) return claimError(err, identity);
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return new IdentityError("token signature does not verify against the issuer's keys: the token is forged or from another issuer", 'forged');
  }
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) {
    // Unknown even after a key refresh: nothing the issuer publishes signed this token.
    return new IdentityError(`token was signed with a key the issuer does not publish (kid ${shown(kid)})`, 'forged');
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return new IdentityError('token signing algorithm is not accepted', 'bad_token');
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid || err instanceof errors.JOSENotSupported) {
    return new IdentityError(`malformed token: ${err.message}`, 'bad_token');
  }
  if (err instanceof errors.JOSEError) {
    // JWK/JWKS errors surfacing here come from the key side, not the token.
    return new IdentityError(`signing keys unavailable: ${err.message}`, 'keys_unavailable');
  }
  return new IdentityError('token could not be verified', 'bad_token');
}

function claimError(err: errors.JWTClaimValidationFailed, identity: Pick<IdentityConfig, 'issuer' | 'audience'>): IdentityError {
  const { claim, reason, payload } = err;
  const missing = reason === 'missing';
  switch (claim) {
    case 'iss':
      return new IdentityError(
        missing
          ? `token has no iss (issuer) claim: expected '${identity.issuer}'`
          : `token issuer ${shown(payload.iss)} is not the configured issuer '${identity.issuer}'`,
        'claims',
      );
    case 'aud': {
      const aud = Array.isArray(payload.aud) ? shownList(payload.aud) : shown(payload.aud);
      return new IdentityError(
        missing
          ? `token has no aud (audience) claim: expected ${identity.audience.join(' or ')}`
          : `token audience ${aud} does not include ${identity.audience.join(' or ')}`,
        'claims',
      );
    }
    case 'exp':
      return new IdentityError(
        missing ? 'token has no exp (expiry) claim: the gateway only accepts tokens that expire' : 'token exp claim is not a number',
        'claims',
      );
    case 'nbf':
      return new IdentityError(
        reason === 'invalid'
          ? 'token nbf claim is not a number'
          : `token is not valid before ${isoTime(payload.nbf)}: wait, or check the clocks of the gateway and the issuer`,
        'claims',
      );
    case 'iat':
      return new IdentityError('token iat claim is not a number', 'claims');
    default:
      return new IdentityError(`token claim ${shown(claim)} failed validation (${reason})`, 'claims');
  }
}
