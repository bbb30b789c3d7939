// Approvers sign in with their own JWT, checked exactly as a client's token is (issuer,
// audience, keys of the rules file). An approver need not hold a database role: tokens whose
// groups map to no role are accepted here when they hold an approver group of the policy in force.
import { JwtVerifier } from '../identity/jwt-verifier.js';
import type { TokenVerifier, VerifiedIdentity } from '../identity/types.js';
import type { IdentityConfig, PolicyConfig, RoleConfig } from '../policy/config/types.js';

/** The pseudo-role an approver without a database role gets; it grants nothing but the approvals API. */
export const APPROVER_ROLE = '(approver)';

export function approverVerifier(identity: IdentityConfig, roles: readonly RoleConfig[], policy: () => PolicyConfig | undefined): TokenVerifier {
  const approver: RoleConfig = { name: APPROVER_ROLE, groups: [], credentials: {} };
  // JwtVerifier reads the role list at each verification: the approver groups follow policy reloads.
  const verifier = new JwtVerifier(identity, [...roles, approver]);
  return {
    verify(token: string): Promise<VerifiedIdentity> {
      approver.groups = approverGroups(policy());
      return verifier.verify(token);
    },
  };
}

export function approverGroups(policy: PolicyConfig | undefined): string[] {
  if (!policy) return [];
  return [...new Set(Object.values(policy.roles).flatMap((r) => r.approvals.flatMap((a) => a.approvers)))];
}
