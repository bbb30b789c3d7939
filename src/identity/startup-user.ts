// The database user named in the client's startup message versus the token's subject. Clients
// insist on sending some user; the token decides who is asking, so a mismatch is at most refused.
import type { IdentityConfig } from '../policy/config/types.js';
import { shown } from './shown.js';
import type { VerifiedIdentity } from './types.js';

/** An error message when the startup user names someone other than the token's subject, else undefined. */
export function matchesStartupUser(
  identity: Pick<VerifiedIdentity, 'subject'>,
  startupUser: string | undefined,
  mismatch: IdentityConfig['userMismatch'],
): string | undefined {
  if (mismatch === 'ignore' || !startupUser || startupUser === identity.subject) return undefined;
  return `database user ${shown(startupUser)} does not match the token subject ${shown(identity.subject)}: connect with user name ${shown(identity.subject)}`;
}
