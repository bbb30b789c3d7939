// Reading the identity out of a verified claims set: subject, groups, actor chain, role.
import type { JWTPayload } from 'jose';
import type { RoleConfig } from '../policy/config/types.js';
import { shownList } from './shown.js';
import { IdentityError, type Actor } from './types.js';

/** Deepest `act` nesting we follow; delegation chains are short, a deep one is an attack or a bug. */
const MAX_ACTOR_DEPTH = 8;

/**
 * A claim by name, or by dotted path into nested objects (`realm_access.roles`). The literal name
 * is tried first because namespaced claims contain dots (`https://example.com/groups`).
 */
export function readClaim(payload: JWTPayload, path: string): unknown {
  if (Object.hasOwn(payload, path)) return payload[path];
  let value: unknown = payload;
  for (const part of path.split('.')) {
    if (!value || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

export function readSubject(payload: JWTPayload, claim: string): string {
  const subject = readClaim(payload, claim);
  if (typeof subject !== 'string' || subject.trim() === '') {
    throw new IdentityError(`token has no subject: claim '${claim}' is missing or not a non-empty string`, 'claims');
  }
  // The subject lands in audit records and logs; control characters there could forge lines.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(subject)) {
    throw new IdentityError(`token subject claim '${claim}' contains control characters`, 'claims');
  }
  return subject;
}

/** Groups as an array of strings, or one string separated by spaces or commas; anything else is none. */
export function readGroups(payload: JWTPayload, claim: string): string[] {
  const raw = readClaim(payload, claim);
  const items = typeof raw === 'string' ? raw.split(/[\s,]+/) : Array.isArray(raw) ? raw.filter((g): g is string => typeof g === 'string') : [];
  return [...new Set(items.map((g) => g.trim()).filter((g) => g !== ''))];
}

/**
 * RFC 8693 §4.1 `act`: the outermost `act.sub` is the party acting now; nested `act` claims are
 * earlier actors. A present but malformed claim is refused rather than ignored, so an agent
 * cannot drop out of the audit trail by garbling it.
 */
export function readActor(payload: JWTPayload): Actor | undefined {
  if (payload.act === undefined) return undefined;
  const subjects: string[] = [];
  let act: unknown = payload.act;
  while (act !== undefined) {
    if (subjects.length === MAX_ACTOR_DEPTH) throw new IdentityError(`token act claim nests deeper than ${MAX_ACTOR_DEPTH} actors`, 'claims');
    if (!act || typeof act !== 'object' || Array.isArray(act)) throw new IdentityError('token act claim is not an object', 'claims');
    const { sub, act: inner } = act as { sub?: unknown; act?: unknown };
    // eslint-disable-next-line no-control-regex
    if (typeof sub !== 'string' || sub.trim() === '' || /[\u0000-\u001f\u007f]/.test(sub)) {
      throw new IdentityError('token act claim has no usable sub (the acting party)', 'claims');
    }
    subjects.push(sub);
    act = inner;
  }
  const [subject, ...chain] = subjects as [string, ...string[]];
  return { subject, chain };
}

/** The first role, in rules-file order, that lists one of the token's groups. */
export function pickRole(groups: readonly string[], roles: readonly RoleConfig[], groupsClaim: string): string {
  const held = new Set(groups);
  const role = roles.find((r) => r.groups.some((g) => held.has(g)));
  if (role) return role.name;
  const mapped = [...new Set(roles.flatMap((r) => r.groups))];
  const hint = groups.length === 0 ? `the token carries no groups in claim '${groupsClaim}'; ` : '';
  throw new IdentityError(
    `no role for groups ${shownList(groups)}: ${hint}the rules file maps groups ${mapped.length ? mapped.join(', ') : '(none)'}`,
    'no_role',
  );
}
