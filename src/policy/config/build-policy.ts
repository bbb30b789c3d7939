// `policy`: the statement policy. Absent, the gateway keeps its old behaviour (every statement
// allowed) and says so loudly; present, every role needs an entry or it may run nothing.
import { isRecord, quoteNames, type BuildContext } from './build-context.js';
import { buildRolePolicy } from './build-role-policy.js';
import type { RawPolicy } from './raw.js';
import type { PolicyConfig } from './types.js';

export function buildPolicy(raw: RawPolicy | undefined, roleNames: ReadonlySet<string>, ctx: BuildContext): PolicyConfig | undefined {
  if (raw === undefined) {
    ctx.log.warn(
      [],
      'NO STATEMENT POLICY: this file has no `policy` section, so every role may run every statement ' +
        '(DELETE, DROP, COPY ... PROGRAM included) with no export limit; add one (see docs/policy.md)',
    );
    return undefined;
  }
  if (!isRecord(raw) || ctx.rejected(['policy'])) return undefined;

  const policy: PolicyConfig = { mode: raw.mode ?? 'enforce', unparsable: raw.unparsable ?? 'refuse', roles: {} };
  if (policy.unparsable === 'allow' && policy.mode === 'enforce') {
    const message = 'unparsable: allow lets statements the gateway cannot check run unchecked; use it with mode: observe only';
    ctx.log.warn(['policy', 'unparsable'], message);
  }

  const entries = isRecord(raw.roles) && !ctx.rejected(['policy', 'roles']) ? Object.entries(raw.roles ?? {}) : [];
  for (const [role, rawRole] of entries) {
    const at = ['policy', 'roles', role];
    if (!roleNames.has(role)) {
      ctx.log.error(at, `no role named "${role}" (roles: ${quoteNames(roleNames)})`, 'key');
      continue;
    }
    if (!isRecord(rawRole) || ctx.rejected(at)) continue;
    policy.roles[role] = buildRolePolicy(role, rawRole, policy.mode, ctx);
  }
  warnRolesWithoutPolicy(roleNames, new Set(entries.map(([role]) => role)), raw.roles === undefined, ctx);
  return policy;
}

/** Fail closed is right, but a role that can do nothing is usually an omission worth a word. */
function warnRolesWithoutPolicy(
  roleNames: ReadonlySet<string>,
  written: ReadonlySet<string>,
  noRolesKey: boolean,
  ctx: BuildContext,
): void {
  const missing = [...roleNames].filter((name) => !written.has(name));
  if (missing.length === 0) return;
  const one = missing.length === 1;
  const message = `${one ? 'role' : 'roles'} ${quoteNames(missing)} ${one ? 'has' : 'have'} no policy: every statement ${one ? 'it sends' : 'they send'} is refused`;
  ctx.log.warn(noRolesKey ? ['policy'] : ['policy', 'roles'], message, 'key');
}
