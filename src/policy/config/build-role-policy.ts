// `policy.roles.<role>`: what one role may run. Checks what the schema cannot: `allow: all`,
// glob syntax, that `unbounded: approve` has an approval to ask for, and that `observe` names
// rules the role has.
import type { StatementKind } from '../../sql/analysis.js';
import { checkFunctionPattern, checkSettingPattern, checkTablePattern } from '../name-patterns.js';
import { riskFlags, statementKinds } from '../statement-vocabulary.js';
import { buildApprovals } from './build-approvals.js';
import type { BuildContext } from './build-context.js';
import type { PathSegment } from './issues.js';
import type { RawRolePolicy } from './raw.js';
import type { ApprovalRule, PolicyMode, RolePolicy } from './types.js';

export function buildRolePolicy(role: string, raw: RawRolePolicy, fileMode: PolicyMode, ctx: BuildContext): RolePolicy {
  const at = ['policy', 'roles', role];
  const usable = (...key: PathSegment[]) => ctx.usable([...at, ...key]);
  const policy: RolePolicy = {
    role,
    mode: raw.mode ?? fileMode,
    allow: usable('allow') ? allowedKinds(raw.allow, [...at, 'allow'], ctx) : [],
    block: {
      flags: usable('block', 'flags') ? (raw.block?.flags ?? []) : [],
      functions: usable('block', 'functions') ? (raw.block?.functions ?? []) : [],
    },
    tables: { deny: usable('tables', 'deny') ? (raw.tables?.deny ?? []) : [] },
    unbounded: raw.unbounded ?? 'refuse',
    protected: usable('protected') ? (raw.protected ?? []) : [],
    // Approvals are built one by one, so a mistake in one does not hide the others' mistakes.
    approvals: ctx.rejected([...at, 'approvals']) ? [] : buildApprovals(role, raw.approvals ?? [], [...at, 'approvals'], ctx),
    observe: [],
  };
  if (raw.tables?.allow !== undefined && usable('tables', 'allow')) policy.tables.allow = raw.tables.allow;
  if (raw.maxRows !== undefined) policy.maxRows = raw.maxRows;
  if (raw.functions?.allow !== undefined && usable('functions', 'allow')) {
    policy.functions = { allow: raw.functions.allow, ...(raw.functions.describe === undefined ? {} : { describe: raw.functions.describe }) };
  }
  if (raw.settings?.allow !== undefined && usable('settings', 'allow')) policy.settings = { allow: raw.settings.allow };

  checkPatterns(policy.block.functions, [...at, 'block', 'functions'], checkFunctionPattern, ctx);
  checkPatterns(policy.functions?.allow ?? [], [...at, 'functions', 'allow'], checkFunctionPattern, ctx);
  checkPatterns(policy.settings?.allow ?? [], [...at, 'settings', 'allow'], checkSettingPattern, ctx);
  checkPatterns(policy.tables.allow ?? [], [...at, 'tables', 'allow'], checkTablePattern, ctx);
  checkPatterns(policy.tables.deny, [...at, 'tables', 'deny'], checkTablePattern, ctx);
  checkPatterns(policy.protected, [...at, 'protected'], checkTablePattern, ctx);
  checkUnbounded(raw, policy, at, ctx);
  checkApprovalNames(policy.approvals, at, ctx);
  if (usable('observe')) policy.observe = observedRuleIds(raw.observe ?? [], policy, at, ctx);
  return policy;
}

function allowedKinds(raw: RawRolePolicy['allow'], at: PathSegment[], ctx: BuildContext): StatementKind[] {
  if (Array.isArray(raw)) return raw;
  if (raw === 'all') return [...statementKinds];
  ctx.log.error(at, `must be "all" or a list of statement kinds (${statementKinds.join(', ')})`);
  return [];
}

function checkPatterns(
  patterns: readonly string[],
  at: PathSegment[],
  check: (pattern: string) => { ok: true } | { ok: false; message: string },
  ctx: BuildContext,
): void {
  patterns.forEach((pattern, i) => {
    const result = check(pattern);
    if (!result.ok) ctx.log.error([...at, i], result.message);
  });
}

function checkUnbounded(raw: RawRolePolicy, policy: RolePolicy, at: PathSegment[], ctx: BuildContext): void {
  if (raw.unbounded !== undefined && policy.protected.length === 0 && ctx.usable([...at, 'protected'])) {
    ctx.log.warn([...at, 'unbounded'], 'unbounded has no effect: protected lists no tables');
  }
  if (policy.unbounded === 'approve' && !policy.approvals.some((a) => a.when.unbounded)) {
    const message = 'unbounded: approve needs an approval with `when: { unbounded: true }` saying who approves';
    ctx.log.error([...at, 'unbounded'], message);
  }
}

/** Words `observe` gives a meaning of its own; an approval by that name would be ambiguous. */
const ruleWords = new Set<string>(['allow', 'functions', 'settings', 'tables', 'unbounded', 'maxRows', ...riskFlags]);

function checkApprovalNames(approvals: readonly ApprovalRule[], at: PathSegment[], ctx: BuildContext): void {
  approvals.forEach((approval, i) => {
    if (ruleWords.has(approval.name)) {
      ctx.log.error([...at, 'approvals', i, 'name'], `"${approval.name}" names a rule (see observe): pick another approval name`);
    }
  });
}

/** The rule ids `observe` entries stand for; every entry must name a rule this role has. */
function observedRuleIds(entries: readonly string[], policy: RolePolicy, at: PathSegment[], ctx: BuildContext): string[] {
  const available = new Map<string, string[]>([['allow', ['allow']]]);
  const add = (entry: string, id: string): void => {
    available.set(entry, [...(available.get(entry) ?? []), id]);
  };
  for (const flag of policy.block.flags) {
    add(flag, `block.flags.${flag}`);
    add(`block.flags.${flag}`, `block.flags.${flag}`);
  }
  if (policy.block.functions.length > 0) {
    add('functions', 'block.functions');
    add('block.functions', 'block.functions');
  }
  if (policy.functions !== undefined) {
    add('functions', 'functions.allow');
    add('functions.allow', 'functions.allow');
  }
  if (policy.settings !== undefined) {
    add('settings', 'settings.allow');
    add('settings.allow', 'settings.allow');
  }
  if (policy.tables.allow !== undefined || policy.tables.deny.length > 0) add('tables', 'tables');
  if (policy.protected.length > 0) add('unbounded', 'unbounded');
  if (policy.maxRows !== undefined) add('maxRows', 'maxRows');
  for (const approval of policy.approvals) {
    add(approval.name, `approvals.${approval.name}`);
    add(`approvals.${approval.name}`, `approvals.${approval.name}`);
  }
  if (entries.length > 0 && policy.mode === 'observe') {
    ctx.log.warn([...at, 'observe'], `role ${policy.role} is in observe mode already: every rule is observed`);
  }

  const ids = new Set<string>();
  entries.forEach((entry, i) => {
    const found = available.get(entry);
    if (found !== undefined) for (const id of found) ids.add(id);
    else {
      const names = [...new Set([...available.values()].flat().map((rule) => rule.replace(/^(block\.flags|approvals|block)\.|\.allow$/g, '')))];
      ctx.log.error([...at, 'observe', i], `"${entry}" names no rule of role ${policy.role} (its rules: ${names.join(', ')})`);
    }
  });
  return [...ids];
}
