// What the statement policy answers for a statement string, and the vocabulary its checks share.
import type { ApprovalRule } from './config/types.js';

/** A rule that matched but was not applied because it runs in observe mode. */
export interface ObservedDenial {
  /** Rule id, as a deny decision would carry it. */
  rule: string;
  /** What enforce mode would have done. */
  action: 'deny' | 'approve';
  /** 0-based position of the statement in the string. */
  statement: number;
  sqlState?: string;
  message: string;
  hint?: string;
}

export type PolicyDecision =
  | {
      action: 'allow';
      /** Export limit to enforce on the result stream. */
      maxRows?: number;
      /** maxRows in observe mode: log when a result passes it, do not cut. */
      observedMaxRows?: number;
      /** What would have been refused or held in enforce mode (audit these). */
      observed: ObservedDenial[];
    }
  | { action: 'deny'; rule: string; sqlState: string; message: string; hint?: string }
  | {
      action: 'approve';
      rule: string;
      /** The matched rule, for src/approvals: who approves, how many, how long. */
      approval: ApprovalRule;
      /** Why, worded for the agent (the approvals module adds the request id). */
      message: string;
      maxRows?: number;
    };

export type Denial = Extract<PolicyDecision, { action: 'deny' }>;

/** SQLSTATEs the policy answers with. */
export const sqlStates = {
  insufficientPrivilege: '42501',
  programLimitExceeded: '54000',
  syntaxError: '42601',
  featureNotSupported: '0A000',
} as const;

/** One rule of a role that matched one statement. */
export type RuleHit =
  | {
      action: 'deny';
      /** Rule id (`allow`, `block.flags.copy-program`, `tables.deny`, ...). */
      rule: string;
      /** The `observe` id that covers it (`tables` covers tables.allow and tables.deny). */
      observeAs: string;
      sqlState: string;
      message: string;
      hint?: string;
    }
  | { action: 'approve'; rule: string; observeAs: string; approval: ApprovalRule; message: string };
