// `policy.roles.<role>.approvals`: statements that run only once someone approved them.
import { checkTablePattern } from '../name-patterns.js';
import { isRecord, type BuildContext } from './build-context.js';
import { parseDuration } from './durations.js';
import type { PathSegment } from './issues.js';
import type { RawApproval } from './raw.js';
import type { ApprovalCondition, ApprovalRule } from './types.js';

const defaultTtl = '15m';
const defaultWaitTimeout = '60s';
// A held statement keeps a client connection and a timer; a day is far past any sane wait.
const maxWaitTimeoutMs = 24 * 3_600_000;

export function buildApprovals(role: string, raws: readonly RawApproval[], at: PathSegment[], ctx: BuildContext): ApprovalRule[] {
  const seen = new Map<string, number>();
  return raws.flatMap((raw, i) => {
    const path = [...at, i];
    if (!isRecord(raw) || ctx.rejected(path)) return [];
    if (ctx.usable([...path, 'name'])) {
      const earlier = seen.get(raw.name);
      if (earlier === undefined) seen.set(raw.name, i);
      else ctx.log.error([...path, 'name'], `duplicate approval name "${raw.name}" (also approvals[${earlier}])`);
    }
    return [buildApproval(role, raw, path, ctx)];
  });
}

function buildApproval(role: string, raw: RawApproval, at: PathSegment[], ctx: BuildContext): ApprovalRule {
  const mode = raw.mode ?? 'reject';
  const rule: ApprovalRule = {
    name: raw.name,
    role,
    when: buildCondition(raw.when, [...at, 'when'], ctx),
    mode,
    approvers: ctx.usable([...at, 'approvers']) ? raw.approvers : [],
    approvalsNeeded: raw.approvalsNeeded ?? 1,
    ttlMs: durationAt(raw.ttl ?? defaultTtl, [...at, 'ttl'], ctx),
    waitTimeoutMs: durationAt(raw.waitTimeout ?? defaultWaitTimeout, [...at, 'waitTimeout'], ctx),
  };
  if (rule.waitTimeoutMs > maxWaitTimeoutMs) ctx.log.error([...at, 'waitTimeout'], 'waitTimeout is at most 24h');
  if (mode === 'reject' && raw.waitTimeout !== undefined) {
    ctx.log.warn([...at, 'waitTimeout'], 'waitTimeout applies only to mode: wait (this approval uses mode: reject)');
  }
  return rule;
}

function buildCondition(raw: RawApproval['when'] | undefined, at: PathSegment[], ctx: BuildContext): ApprovalCondition {
  if (!isRecord(raw) || !raw || ctx.rejected(at)) return {};
  const when: ApprovalCondition = {};
  if (raw.limitAbove !== undefined) when.limitAbove = raw.limitAbove;
  if (raw.kinds !== undefined) when.kinds = raw.kinds;
  if (raw.flags !== undefined) when.flags = raw.flags;
  if (raw.unbounded === true) when.unbounded = true;
  if (raw.tables !== undefined && ctx.usable([...at, 'tables'])) {
    raw.tables.forEach((pattern, i) => {
      const check = checkTablePattern(pattern);
      if (!check.ok) ctx.log.error([...at, 'tables', i], check.message);
    });
    when.tables = raw.tables;
  }
  if (Object.keys(raw).length === 0) {
    ctx.log.error(at, 'when needs a condition: limitAbove, kinds, tables, flags or unbounded');
  }
  return when;
}

function durationAt(text: string, at: PathSegment[], ctx: BuildContext): number {
  if (!ctx.usable(at)) return 0;
  const parsed = parseDuration(text);
  if (parsed.ok) return parsed.ms;
  ctx.log.error(at, parsed.message);
  return 0;
}
