// What an agent reads when the policy says no: the rule (as its place in the rules file), why,
// and what would be allowed instead. Messages name tables, functions and limits, never values.
import type { RiskFlag, StatementInfo, TableRef } from '../sql/analysis.js';
import type { ApprovalRule, RolePolicy } from './config/types.js';
import { sqlStates, type RuleHit } from './decision.js';
import { showTable } from './name-patterns.js';
import { describeFlag, kindLabel, statementKinds } from './statement-vocabulary.js';

type DenyHit = Extract<RuleHit, { action: 'deny' }>;

function ruleRef(policy: RolePolicy, rule: string): string {
  return `policy.roles.${policy.role}.${rule}`;
}

export function kindNotAllowed(policy: RolePolicy, statement: StatementInfo): DenyHit {
  const allowed = statementKinds.filter((kind) => policy.allow.includes(kind)).map(kindLabel);
  return {
    action: 'deny',
    rule: 'allow',
    observeAs: 'allow',
    sqlState: sqlStates.insufficientPrivilege,
    message: `sqlveil: ${describeStatement(statement)} is not allowed for role ${policy.role} (rule: ${ruleRef(policy, 'allow')})`,
    hint: allowed.length > 0 ? `allowed statements: ${allowed.join(', ')}` : `role ${policy.role} may run no statements`,
  };
}

/** `DELETE`, or `EXPLAIN (UPDATE)` when the command does not say what the statement does. */
function describeStatement(statement: StatementInfo): string {
  const label = kindLabel(statement.kind);
  const command = statement.command.trim();
  if (command === '') return label;
  const firstWord = (text: string) => text.split(/[\s/(]/)[0]?.toUpperCase();
  return firstWord(command) === firstWord(label) ? command : `${command} (${label})`;
}

export function flagBlocked(policy: RolePolicy, flag: RiskFlag): DenyHit {
  const rule = `block.flags.${flag}`;
  const { blocked, hint } = describeFlag(flag);
  // The gateway cannot vouch for SQL it never saw: that is unsupported rather than forbidden.
  const sqlState = flag === 'dynamic-sql' ? sqlStates.featureNotSupported : sqlStates.insufficientPrivilege;
  return {
    action: 'deny',
    rule,
    observeAs: rule,
    sqlState,
    message: `sqlveil: ${blocked} is blocked for role ${policy.role} (rule: ${ruleRef(policy, rule)})`,
    ...(hint ? { hint } : {}),
  };
}

export function functionBlocked(policy: RolePolicy, fn: string, pattern: string): DenyHit {
  const rule = 'block.functions';
  return {
    action: 'deny',
    rule,
    observeAs: rule,
    sqlState: sqlStates.insufficientPrivilege,
    message: `sqlveil: calling ${fn}() is blocked for role ${policy.role} (rule: ${ruleRef(policy, rule)}: "${pattern}")`,
    hint: `blocked functions: ${policy.block.functions.join(', ')}`,
  };
}

export function functionNotAllowed(policy: RolePolicy, fn: string): DenyHit {
  const rule = 'functions.allow';
  const allowed = policy.functions?.describe ?? (policy.functions?.allow.join(', ') || 'none');
  return {
    action: 'deny',
    rule,
    observeAs: rule,
    sqlState: sqlStates.insufficientPrivilege,
    message: `sqlveil: function ${fn} is not allowed for role ${policy.role} (rule: ${ruleRef(policy, rule)})`,
    hint: `the allowed functions are ${allowed}; rewrite the statement without ${fn}(), or ask an administrator to add it to ${ruleRef(policy, rule)}`,
  };
}

export function settingNotAllowed(policy: RolePolicy, setting: string): DenyHit {
  const rule = 'settings.allow';
  const shown = setting === '*' ? 'a setting named by an expression' : `setting ${setting}`;
  return {
    action: 'deny',
    rule,
    observeAs: rule,
    sqlState: sqlStates.insufficientPrivilege,
    message: `sqlveil: changing ${shown} is not allowed for role ${policy.role} (rule: ${ruleRef(policy, rule)})`,
    hint: `settings this role may change: ${policy.settings?.allow.join(', ') || 'none'}; ask an administrator to add it to ${ruleRef(policy, rule)}`,
  };
}

export function tableDenied(policy: RolePolicy, table: TableRef, pattern: string): DenyHit {
  return {
    action: 'deny',
    rule: 'tables.deny',
    observeAs: 'tables',
    sqlState: sqlStates.insufficientPrivilege,
    message: `sqlveil: table ${showTable(table)} is not allowed for role ${policy.role} (rule: ${ruleRef(policy, 'tables.deny')}: "${pattern}")`,
    hint: allowedTables(policy),
  };
}

export function tableNotAllowed(policy: RolePolicy, table: TableRef): DenyHit {
  const unqualified = table.schema === undefined;
  const qualify = unqualified ? `write the table with its schema (schema.${table.name}); ` : '';
  return {
    action: 'deny',
    rule: 'tables.allow',
    observeAs: 'tables',
    sqlState: sqlStates.insufficientPrivilege,
    message:
      `sqlveil: table ${showTable(table)}${unqualified ? ' (no schema)' : ''} is not allowed for role ${policy.role} ` +
      `(rule: ${ruleRef(policy, 'tables.allow')})`,
    hint: `${qualify}${allowedTables(policy)}`,
  };
}

function allowedTables(policy: RolePolicy): string {
  const allowed = policy.tables.allow === undefined ? 'any' : policy.tables.allow.join(', ') || 'none';
  const except = policy.tables.deny.length > 0 ? ` (except ${policy.tables.deny.join(', ')})` : '';
  return `allowed tables: ${allowed}${except}`;
}

export function unboundedRead(policy: RolePolicy, table: TableRef, limit: number | undefined): DenyHit {
  const how =
    limit === undefined ? 'without LIMIT' : `with LIMIT ${limit}, above the export limit of ${policy.maxRows ?? limit} rows,`;
  return {
    action: 'deny',
    rule: 'unbounded',
    observeAs: 'unbounded',
    sqlState: sqlStates.programLimitExceeded,
    message: `sqlveil: reading protected table ${showTable(table)} ${how} is refused for role ${policy.role} (rule: ${ruleRef(policy, 'unbounded')})`,
    hint: policy.maxRows === undefined ? 'add a LIMIT' : `add LIMIT ${policy.maxRows} or less`,
  };
}

export function needsApproval(policy: RolePolicy, approval: ApprovalRule): Extract<RuleHit, { action: 'approve' }> {
  const rule = `approvals.${approval.name}`;
  const who = approval.approvers.join(', ');
  return {
    action: 'approve',
    rule,
    observeAs: rule,
    approval,
    message: `sqlveil: this statement needs approval "${approval.name}" by ${who} for role ${policy.role} (rule: ${ruleRef(policy, rule)})`,
  };
}
