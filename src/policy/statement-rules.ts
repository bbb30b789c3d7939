// Every rule of a role checked against one statement. All matches are returned, most restrictive
// rule first, so observe-mode rules can be recorded while a later enforced rule still decides.
import type { StatementInfo, TableRef } from '../sql/analysis.js';
import type { ApprovalCondition, RolePolicy } from './config/types.js';
import type { RuleHit } from './decision.js';
import { functionAllowedBy, functionMayMatch, settingAllowedBy, tableAllowedBy, tableMayMatch } from './name-patterns.js';
import * as messages from './policy-messages.js';

export function checkStatement(policy: RolePolicy, statement: StatementInfo): RuleHit[] {
  const hits: RuleHit[] = [];
  if (!policy.allow.includes(statement.kind)) hits.push(messages.kindNotAllowed(policy, statement));
  for (const flag of statement.flags) {
    if (policy.block.flags.includes(flag)) hits.push(messages.flagBlocked(policy, flag));
  }
  const blockedFunction = firstBlockedFunction(policy, statement.functions);
  if (blockedFunction) hits.push(messages.functionBlocked(policy, blockedFunction.fn, blockedFunction.pattern));
  const outsideFunction = firstFunctionNotAllowed(policy, statement.functions);
  if (outsideFunction !== undefined) hits.push(messages.functionNotAllowed(policy, outsideFunction));
  const outsideSetting = firstSettingNotAllowed(policy, statement.settings ?? []);
  if (outsideSetting !== undefined) hits.push(messages.settingNotAllowed(policy, outsideSetting));
  const tableHit = checkTables(policy, [...statement.tablesRead, ...statement.tablesWritten]);
  if (tableHit) hits.push(tableHit);
  const unbounded = unboundedRead(policy, statement);
  if (unbounded && policy.unbounded === 'refuse') hits.push(messages.unboundedRead(policy, unbounded, statement.limit));
  for (const approval of policy.approvals) {
    if (conditionHolds(approval.when, policy, statement)) hits.push(messages.needsApproval(policy, approval));
  }
  return hits;
}

function firstBlockedFunction(policy: RolePolicy, functions: readonly string[]): { fn: string; pattern: string } | undefined {
  for (const fn of functions) {
    const pattern = policy.block.functions.find((p) => functionMayMatch(p, fn));
    if (pattern !== undefined) return { fn, pattern };
  }
  return undefined;
}

/** The first function outside the role's allow list (none when the role has no list). */
function firstFunctionNotAllowed(policy: RolePolicy, functions: readonly string[]): string | undefined {
  const allow = policy.functions?.allow;
  if (allow === undefined) return undefined;
  return functions.find((fn) => !allow.some((p) => functionAllowedBy(p, fn)));
}

/** The first setting outside the role's allow list; exported for the startup parameters check. */
export function firstSettingNotAllowed(policy: RolePolicy, settings: readonly string[]): string | undefined {
  const allow = policy.settings?.allow;
  if (allow === undefined) return undefined;
  return settings.find((setting) => !allow.some((p) => settingAllowedBy(p, setting)));
}

/** The first table the role may not use: a denied one, else one outside the allow list. */
function checkTables(policy: RolePolicy, tables: readonly TableRef[]): RuleHit | undefined {
  for (const table of tables) {
    const pattern = policy.tables.deny.find((p) => tableMayMatch(p, table));
    if (pattern !== undefined) return messages.tableDenied(policy, table, pattern);
  }
  const allow = policy.tables.allow;
  if (allow === undefined) return undefined;
  const outside = tables.find((table) => !allow.some((p) => tableAllowedBy(p, table)));
  return outside ? messages.tableNotAllowed(policy, outside) : undefined;
}

/**
 * The protected table an export-shaped read (SELECT, COPY ... TO) takes without a LIMIT, or with
 * a LIMIT above the role's maxRows; undefined when the read is bounded.
 */
function unboundedRead(policy: RolePolicy, statement: StatementInfo): TableRef | undefined {
  if (statement.kind !== 'select' && statement.kind !== 'copy-out') return undefined;
  const { limit } = statement;
  const bounded = limit !== undefined && (policy.maxRows === undefined || limit <= policy.maxRows);
  if (bounded) return undefined;
  return statement.tablesRead.find((table) => policy.protected.some((p) => tableMayMatch(p, table)));
}

function conditionHolds(when: ApprovalCondition, policy: RolePolicy, statement: StatementInfo): boolean {
  if (when.limitAbove !== undefined && !(statement.limit !== undefined && statement.limit > when.limitAbove)) return false;
  if (when.kinds !== undefined && !when.kinds.includes(statement.kind)) return false;
  if (when.flags !== undefined && !when.flags.some((flag) => statement.flags.includes(flag))) return false;
  if (when.tables !== undefined) {
    const patterns = when.tables;
    const tables = [...statement.tablesRead, ...statement.tablesWritten];
    if (!tables.some((table) => patterns.some((p) => tableMayMatch(p, table)))) return false;
  }
  if (when.unbounded && unboundedRead(policy, statement) === undefined) return false;
  // A condition with nothing in it is rejected at load; never let one match everything.
  return Object.keys(when).length > 0;
}
