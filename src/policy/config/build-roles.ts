// `roles`: token groups -> role, and the database login each role uses per upstream.
import { isRecord, quoteNames, type BuildContext } from './build-context.js';
import { readSecretFile } from './files.js';
import type { PathSegment } from './issues.js';
import type { RawCredentials, RawRole } from './raw.js';
import { statementKinds } from '../statement-vocabulary.js';
import type { Credentials, MaskingConfig, PolicyConfig, RoleConfig } from './types.js';

export function buildRoles(raws: readonly RawRole[], upstreamNames: ReadonlySet<string>, ctx: BuildContext): RoleConfig[] {
  ctx.checkUniqueNames('roles', raws, 'role');
  const groupOwner = new Map<string, string>();
  return raws.flatMap((raw, i) => {
    if (!isRecord(raw)) return [];
    const at = ['roles', i];
    if (ctx.usable([...at, 'groups'])) warnShadowedGroups(raw, at, groupOwner, ctx);
    // `restricted` and the default are settled by settleLoginChecks once policy and masking are known.
    const superuser = ctx.usable([...at, 'upstreamLogin']) ? raw.upstreamLogin?.superuser : undefined;
    const role: RoleConfig = { name: raw.name, groups: raw.groups, credentials: {}, upstreamLogin: { superuser: superuser ?? 'allow', restricted: false, configured: superuser !== undefined } };
    if (ctx.usable([...at, 'credentials'])) {
      for (const [upstream, entry] of Object.entries(raw.credentials ?? {})) {
        const path = [...at, 'credentials', upstream];
        if (!upstreamNames.has(upstream)) {
          ctx.log.error(path, `no upstream named "${upstream}" (upstreams: ${quoteNames(upstreamNames)})`, 'key');
          continue;
        }
        const credentials = buildCredentials(entry, path, ctx);
        if (credentials) role.credentials[upstream] = credentials;
      }
    }
    return [role];
  });
}

/** Roles are tried in order, so a group an earlier role already maps never reaches a later one. */
function warnShadowedGroups(raw: RawRole, at: PathSegment[], owner: Map<string, string>, ctx: BuildContext): void {
  raw.groups.forEach((group, j) => {
    const earlier = owner.get(group);
    if (earlier === undefined) owner.set(group, raw.name);
    else if (earlier !== raw.name) {
      const message = `group "${group}" already maps to role "${earlier}" (the first matching role wins)`;
      ctx.log.warn([...at, 'groups', j], message);
    }
  });
}

/**
 * Undefined when the entry leaves the URL login in place: an empty `user` (an unset
 * `${VAR:-}`) means "use the upstream URL's login".
 */
function buildCredentials(raw: RawCredentials, path: PathSegment[], ctx: BuildContext): Credentials | undefined {
  const password = raw.password || undefined;
  const passwordFile = raw.passwordFile || undefined;
  if (raw.user === '') {
    if (password !== undefined || passwordFile !== undefined) {
      const message = 'user is empty but a password is given: name the user, or leave both empty to use the URL login';
      ctx.log.error([...path, 'user'], message);
    }
    return undefined;
  }
  if (password !== undefined && passwordFile !== undefined) {
    ctx.log.error([...path, 'passwordFile'], 'give password or passwordFile, not both');
    return undefined;
  }
  if (password !== undefined) {
    if (!ctx.fromEnvironment([...path, 'password'])) {
      const message = 'password written in this file; take it from the environment with ${VAR} or use passwordFile';
      ctx.log.warn([...path, 'password'], message);
    }
    return { user: raw.user, password };
  }
  if (passwordFile !== undefined) {
    const read = readSecretFile(ctx.resolve(passwordFile));
    if (!read.ok) {
      ctx.log.error([...path, 'passwordFile'], `passwordFile: ${read.message}`);
      return undefined;
    }
    return read.text === '' ? { user: raw.user } : { user: raw.user, password: read.text };
  }
  return { user: raw.user };
}

/**
 * A role is restricted when a masking rule applies to it or its statement policy is not
 * `allow: all`: its upstream login must then not be a superuser, unless the file says `warn`.
 */
export function settleLoginChecks(roles: RoleConfig[], policy: PolicyConfig | undefined, masking: MaskingConfig | undefined): void {
  for (const role of roles) {
    const masked = (masking?.rules ?? []).some((r) => (r.roles === undefined || r.roles.includes(role.name)) && !r.except.includes(role.name));
    const rules = policy?.roles[role.name];
    const limited = policy !== undefined && (rules === undefined || statementKinds.some((k) => !rules.allow.includes(k)));
    const check = role.upstreamLogin;
    if (!check) continue;
    check.restricted = masked || limited;
    if (!check.configured) check.superuser = check.restricted ? 'refuse' : 'allow';
  }
}
