// The statement policy: one pure decision per statement string. Every statement of a
// multi-statement string is checked and the most restrictive outcome wins (deny, then approve,
// then allow), since the string runs as a whole. Rules in observe mode never change the
// outcome; they are returned in `observed` for the audit trail.
import type { StatementAnalysis } from '../sql/analysis.js';
import type { PolicyConfig, RolePolicy } from './config/types.js';
import { sqlStates, type Denial, type ObservedDenial, type PolicyDecision, type RuleHit } from './decision.js';
import { settingNotAllowed } from './policy-messages.js';
import { checkStatement, firstSettingNotAllowed } from './statement-rules.js';

export type { ObservedDenial, PolicyDecision } from './decision.js';

/**
 * `policy` undefined means the rules file has no `policy` section: everything is allowed (the
 * behaviour before statement policy existed; check-config warns about it).
 */
export function decideStatement(policy: PolicyConfig | undefined, role: string, analysis: StatementAnalysis): PolicyDecision {
  if (policy === undefined) return { action: 'allow', observed: [] };
  const rolePolicy = Object.hasOwn(policy.roles, role) ? policy.roles[role] : undefined;
  if (rolePolicy === undefined) return applyMode(policy.mode, noRolePolicy(role));
  if (!analysis.ok) {
    if (policy.unparsable === 'allow') return allowWithLimit(rolePolicy, []);
    return applyMode(rolePolicy.mode, unparsable(analysis.dialect, analysis.error), rolePolicy);
  }

  const observed: ObservedDenial[] = [];
  let approval: Extract<RuleHit, { action: 'approve' }> | undefined;
  for (const [index, statement] of analysis.statements.entries()) {
    for (const hit of checkStatement(rolePolicy, statement)) {
      if (isObserved(rolePolicy, hit)) observed.push(toObserved(hit, index));
      else if (hit.action === 'deny') return { action: 'deny', rule: hit.rule, sqlState: hit.sqlState, message: hit.message, ...hintOf(hit) };
      else approval ??= hit;
    }
  }
  if (approval) {
    const { maxRows } = limits(rolePolicy);
    const { rule, approval: matched, message } = approval;
    return { action: 'approve', rule, approval: matched, message, ...(maxRows === undefined ? {} : { maxRows }) };
  }
  return allowWithLimit(rolePolicy, observed);
}

/**
 * Settings a client asks for before any statement (PostgreSQL startup parameters and the
 * `options` parameter): refused like a SET of them, unless the rule is observed.
 */
export function decideStartupSettings(policy: PolicyConfig | undefined, role: string, settings: readonly string[]): Denial | undefined {
  const rolePolicy = policy !== undefined && Object.hasOwn(policy.roles, role) ? policy.roles[role] : undefined;
  if (rolePolicy === undefined) return undefined; // every statement is refused anyway
  const setting = firstSettingNotAllowed(rolePolicy, settings);
  if (setting === undefined) return undefined;
  const hit = settingNotAllowed(rolePolicy, setting);
  if (isObserved(rolePolicy, hit) || hit.action !== 'deny') return undefined;
  return { action: 'deny', rule: hit.rule, sqlState: hit.sqlState, message: hit.message, ...hintOf(hit) };
}

function isObserved(policy: RolePolicy, hit: RuleHit): boolean {
  return policy.mode === 'observe' || policy.observe.includes(hit.observeAs);
}

/** maxRows is enforced on the result stream, or only watched when it is observed. */
function limits(policy: RolePolicy): { maxRows?: number; observedMaxRows?: number } {
  if (policy.maxRows === undefined) return {};
  return policy.mode === 'observe' || policy.observe.includes('maxRows') ? { observedMaxRows: policy.maxRows } : { maxRows: policy.maxRows };
}

function allowWithLimit(policy: RolePolicy, observed: ObservedDenial[]): PolicyDecision {
  return { action: 'allow', ...limits(policy), observed };
}

/** A refusal outside any role's rules: enforced, or recorded when the mode is observe. */
function applyMode(mode: RolePolicy['mode'], denial: Extract<RuleHit, { action: 'deny' }>, policy?: RolePolicy): PolicyDecision {
  if (mode === 'enforce') return { action: 'deny', rule: denial.rule, sqlState: denial.sqlState, message: denial.message, ...hintOf(denial) };
  const observed = [toObserved(denial, 0)];
  return policy ? allowWithLimit(policy, observed) : { action: 'allow', observed };
}

function noRolePolicy(role: string): Extract<RuleHit, { action: 'deny' }> {
  return {
    action: 'deny',
    rule: 'no-role-policy',
    observeAs: 'no-role-policy',
    sqlState: sqlStates.insufficientPrivilege,
    message: `sqlveil: the rules file has no policy for role ${role}, so every statement is refused (rule: policy.roles.${role} is missing)`,
    hint: `an administrator must add policy.roles.${role} to the rules file`,
  };
}

function unparsable(dialect: string, error: string): Extract<RuleHit, { action: 'deny' }> {
  const language = dialect === 'mysql' ? 'MySQL' : 'PostgreSQL';
  return {
    action: 'deny',
    rule: 'unparsable',
    observeAs: 'unparsable',
    sqlState: sqlStates.syntaxError,
    message: `sqlveil: the statement could not be parsed (${error}); statements the gateway cannot check are refused (rule: policy.unparsable)`,
    hint: `fix the syntax, or write the statement in plain ${language} SQL`,
  };
}

function toObserved(hit: RuleHit, statement: number): ObservedDenial {
  return {
    rule: hit.rule,
    action: hit.action,
    statement,
    ...(hit.action === 'deny' ? { sqlState: hit.sqlState, ...hintOf(hit) } : {}),
    message: hit.message,
  };
}

function hintOf(hit: { hint?: string }): { hint?: string } {
  return hit.hint === undefined ? {} : { hint: hit.hint };
}
