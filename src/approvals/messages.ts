// What the client is told while a statement waits for approval, worded for an agent to act on.
import type { Denial } from '../session/types.js';
import type { ApprovalRequest } from './types.js';

const RULE_PREFIX = 'approvals.';

function ruleId(r: ApprovalRequest): string {
  return `${RULE_PREFIX}${r.binding.rule}`;
}

export function pending(r: ApprovalRequest, why: string): Denial {
  return {
    action: 'deny',
    sqlState: '42501',
    rule: ruleId(r),
    message: `sqlveil: approval ${r.id} pending: ask an approver (${r.rule.approvers.join(', ')}) to run \`sqlveil approvals approve ${r.id}\`, then retry the identical statement`,
    hint: `${why.replace(/^sqlveil: /, '')}; the request stays open until ${new Date(r.expiresAt).toISOString()}`,
  };
}

export function denied(r: ApprovalRequest): Denial {
  const vote = r.votes.find((v) => v.decision === 'deny');
  return {
    action: 'deny',
    sqlState: '42501',
    rule: ruleId(r),
    message: `sqlveil: approval ${r.id} was denied by ${vote?.approver ?? 'an approver'}: ${vote?.reason || 'no reason given'}`,
    hint: 'the statement did not run; change it as the reason says, or ask the approver',
  };
}

export function waitTimedOut(r: ApprovalRequest): Denial {
  return {
    action: 'deny',
    sqlState: '57014',
    rule: ruleId(r),
    message: `sqlveil: approval ${r.id} still pending after ${Math.round(r.rule.waitTimeoutMs / 1000)} s: the statement did not run`,
    hint: `once an approver has run \`sqlveil approvals approve ${r.id}\`, retry the identical statement (open until ${new Date(r.expiresAt).toISOString()})`,
  };
}

export function shuttingDown(r: ApprovalRequest): Denial {
  return {
    action: 'deny',
    sqlState: '57P01',
    rule: ruleId(r),
    message: `sqlveil: the gateway is shutting down; approval ${r.id} stays open and the statement did not run`,
    hint: `reconnect, and retry the identical statement once \`sqlveil approvals approve ${r.id}\` has run`,
  };
}

export function unavailable(rule: string): Denial {
  return {
    action: 'deny',
    sqlState: '58000',
    rule: `${RULE_PREFIX}${rule}`,
    message: 'sqlveil: this statement needs an approval, and the approval store is unavailable right now',
    hint: 'retry later; the gateway refuses what it cannot record',
  };
}

export function namedPrepare(rule: string): Denial {
  return {
    action: 'deny',
    sqlState: '0A000',
    rule: `${RULE_PREFIX}${rule}`,
    message: `sqlveil: a statement that needs approval "${rule}" cannot be a named prepared statement: one approval runs it once`,
    hint: 'send it as a simple query or an unnamed prepared statement',
  };
}
