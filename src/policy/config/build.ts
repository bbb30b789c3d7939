// The semantic stage: turns a schema-checked rules file into a GatewayConfig, reporting what the
// schema cannot see (references between sections, addresses, URLs, files).
import { isRecord, namesOf, type BuildContext } from './build-context.js';
import { buildIdentity } from './build-identity.js';
import { buildListeners } from './build-listeners.js';
import { buildMasking } from './build-masking.js';
import { buildPolicy } from './build-policy.js';
import { buildRoles, settleLoginChecks } from './build-roles.js';
import { buildAdmin, buildAudit, buildLimits } from './build-runtime.js';
import { buildUpstreams } from './build-upstreams.js';
import type { PathSegment } from './issues.js';
import type { RawConfig } from './raw.js';
import type { AdminConfig, GatewayConfig, ListenerConfig, UpstreamConfig } from './types.js';

/** The config, meaningful only when `ctx.log` holds no errors afterwards. */
export function buildConfig(raw: RawConfig, source: string, ctx: BuildContext): GatewayConfig | undefined {
  if (!isRecord(raw) || ctx.rejected([])) return undefined;
  // Items the schema rejected outright come back as holes, so indexes keep matching the file.
  const upstreams = buildUpstreams(listOf(raw.upstreams), ctx);
  const byName = new Map<string, UpstreamConfig>();
  for (const upstream of present(upstreams)) if (!byName.has(upstream.name)) byName.set(upstream.name, upstream);

  const listeners = buildListeners(listOf(raw.listeners), byName, ctx);
  const roles = buildRoles(listOf(raw.roles), namesOf(listOf(raw.upstreams)), ctx);
  const policy = buildPolicy(raw.policy, namesOf(listOf(raw.roles)), ctx);
  const masking = buildMasking(raw.masking, namesOf(listOf(raw.roles)), namesOf(listOf(raw.upstreams)), ctx);
  settleLoginChecks(roles, policy, masking);
  const identity = isRecord(raw.identity) ? buildIdentity(raw.identity, ctx) : undefined;
  const audit = buildAudit(isRecord(raw.audit) ? raw.audit : undefined, ctx);
  const admin = buildAdmin(isRecord(raw.admin) ? raw.admin : undefined, ctx);

  checkAddressClashes(listeners, admin, ctx);
  warnUnusedUpstreams(upstreams, listeners, ctx);

  if (!identity) return undefined;
  return {
    version: 1,
    source,
    listeners: present(listeners),
    upstreams: present(upstreams),
    identity,
    roles,
    ...(policy ? { policy } : {}),
    ...(masking ? { masking } : {}),
    audit,
    ...(admin ? { admin } : {}),
    limits: buildLimits(isRecord(raw.limits) ? raw.limits : undefined),
  };
}

function listOf<T>(value: T[] | undefined): T[] {
  return Array.isArray(value) ? value : [];
}

function present<T>(items: (T | undefined)[]): T[] {
  return items.filter((item): item is T => item !== undefined);
}

/** Two listeners (or a listener and the admin endpoint) cannot bind the same port. */
function checkAddressClashes(
  listeners: (ListenerConfig | undefined)[],
  admin: AdminConfig | undefined,
  ctx: BuildContext,
): void {
  const bound: { host: string; port: number; path: PathSegment[]; label: string }[] = [];
  const claim = (host: string, port: number, path: PathSegment[], label: string): void => {
    if (port === 0) return; // address not parsed: already reported
    const clash = bound.find((b) => b.port === port && (b.host === host || isWildcard(b.host) || isWildcard(host)));
    if (clash) ctx.log.error(path, `${host}:${port} is already used by ${clash.label}`);
    else bound.push({ host, port, path, label });
  };
  listeners.forEach((l, i) => l && claim(l.host, l.port, ['listeners', i, 'listen'], `listener "${l.name}"`));
  if (admin) claim(admin.host, admin.port, ['admin', 'listen'], 'the admin endpoint');
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

function warnUnusedUpstreams(
  upstreams: (UpstreamConfig | undefined)[],
  listeners: (ListenerConfig | undefined)[],
  ctx: BuildContext,
): void {
  const used = new Set(present(listeners).map((l) => l.upstream));
  upstreams.forEach((u, i) => {
    if (u && !used.has(u.name)) ctx.log.warn(['upstreams', i, 'name'], `no listener uses upstream "${u.name}"`);
  });
}
