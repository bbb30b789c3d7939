// Just-in-time approvals: what the statement gate asks when the policy answers "approve", and
// what approvers do through the admin API. State lives in an ApprovalStore; this class decides
// what a statement gets (run once, refused with a request id, or held until decided) and writes
// approval.* audit events on the instance where things happen.
import type { AuditSink } from '../audit/sink.js';
import type { Logger } from '../log.js';
import type { ApprovalRule } from '../policy/config/types.js';
import type { VerifiedIdentity } from '../identity/types.js';
import type { SessionInfo, StatementDecision } from '../session/types.js';
import { bindingOf, newEventId, newRequestId, requestedRule } from './binding.js';
import * as messages from './messages.js';
import type { ApprovalStore } from './store.js';
import { statusAt, type ApprovalRequest, type EventOutcome } from './types.js';

export interface ApprovalServiceParts {
  store: ApprovalStore;
  audit: AuditSink;
  log: Logger;
  /** Milliseconds since the epoch (tests). */
  now?: () => number;
  /** Keep the exact SQL text in requests (audit.redactLiterals: false); else its shape, literals as `?`. */
  showLiterals?: boolean;
}

/** A statement the policy sent to approval. */
export interface ApprovalAsk {
  session: SessionInfo;
  sql: string;
  fingerprint: string;
  rule: ApprovalRule;
  /** The policy's message: which rule and who approves. */
  why: string;
  /** Export limit for the statement when it runs. */
  maxRows?: number;
}

export type DecideResult = { ok: true; request: ApprovalRequest } | Extract<EventOutcome, { ok: false }>;

export class ApprovalService {
  private readonly now: () => number;
  /** Held statements, to release at shutdown (their timers would keep the process alive). */
  private readonly held = new Set<() => void>();

  constructor(private readonly parts: ApprovalServiceParts) {
    this.now = parts.now ?? Date.now;
  }

  get store(): ApprovalStore {
    return this.parts.store;
  }

  /**
   * An approved grant for this exact statement runs it once; an open request is pointed to (or,
   * in mode wait, waited on); otherwise a new request is made. Fails closed on store errors.
   */
  async review(ask: ApprovalAsk): Promise<StatementDecision> {
    try {
      return await this.reviewOrThrow(ask);
    } catch (err) {
      this.parts.log.error({ session: ask.session.id, rule: ask.rule.name, err: (err as Error).message }, 'approvals: store unavailable; statement refused');
      return messages.unavailable(ask.rule.name);
    }
  }

  private async reviewOrThrow(ask: ApprovalAsk): Promise<StatementDecision> {
    const { store } = this.parts;
    const now = this.now();
    const binding = bindingOf(ask.session.identity, ask.rule, ask.fingerprint, ask.sql);
    const granted = store.latest(binding, now, ['approved']);
    if (granted) {
      const used = await this.use(granted, ask);
      if (used) return used;
    }
    const open = store.latest(binding, now, ['pending']);
    if (open) return open.rule.mode === 'wait' ? this.hold(open, ask) : messages.pending(open, ask.why);
    const refused = store.latest(binding, now, ['denied']);
    // A denial stands for the rule's ttl: asking again at once would only pester the approvers.
    if (refused && (refused.decidedAt ?? 0) + refused.rule.ttlMs > now) return messages.denied(refused);

    const request = await this.open(ask, binding, now);
    return request.rule.mode === 'wait' ? this.hold(request, ask) : messages.pending(request, ask.why);
  }

  private async open(ask: ApprovalAsk, binding: ApprovalRequest['binding'], now: number): Promise<ApprovalRequest> {
    const { identity } = ask.session;
    const id = newRequestId();
    const outcome = await this.parts.store.append({
      type: 'requested',
      id: newEventId(),
      at: now,
      request: { id, binding, actorChain: identity.actor?.chain ?? [], rule: requestedRule(ask.rule), sql: this.parts.showLiterals ? ask.sql : ask.fingerprint, session: ask.session.id, createdAt: now },
    });
    const request = this.parts.store.get(id);
    if (!outcome.ok || !request) throw new Error(`approval request ${id} was not recorded${outcome.ok ? '' : `: ${outcome.message}`}`);
    this.parts.audit.emit({
      type: 'approval.requested',
      session: ask.session.id,
      at: new Date(now).toISOString(),
      request: id,
      rule: `approvals.${ask.rule.name}`,
      role: binding.role,
      subject: binding.subject,
      ...(binding.actor ? { actor: binding.actor } : {}),
      mode: request.rule.mode,
      approvers: request.rule.approvers,
      approvalsNeeded: request.rule.approvalsNeeded,
      fingerprint: binding.fingerprint,
      sqlHash: binding.sqlHash,
      expiresAt: new Date(request.expiresAt).toISOString(),
    });
    this.parts.log.info({ session: ask.session.id, request: id, rule: ask.rule.name, sub: binding.subject, mode: request.rule.mode }, 'approval requested');
    return request;
  }

  /** Uses a grant: the statement runs, once. Undefined when another statement used it first. */
  private async use(r: ApprovalRequest, ask: ApprovalAsk): Promise<StatementDecision | undefined> {
    const now = this.now();
    const outcome = await this.parts.store.append({ type: 'used', id: newEventId(), at: now, request: r.id, session: ask.session.id });
    if (!outcome.ok) return undefined;
    this.parts.audit.emit({ type: 'approval.used', session: ask.session.id, at: new Date(now).toISOString(), request: r.id, rule: `approvals.${r.binding.rule}` });
    return ask.maxRows === undefined ? { action: 'allow' } : { action: 'allow', maxRows: ask.maxRows };
  }

  /** mode wait: holds the statement until the request is approved (it runs), denied, or the wait times out. */
  private hold(r: ApprovalRequest, ask: ApprovalAsk): Promise<StatementDecision> {
    return new Promise<StatementDecision>((resolve) => {
      let settled = false;
      // Settles before computing the answer: using the grant changes the request, which calls
      // the listener again.
      const finish = (answer: () => StatementDecision | Promise<StatementDecision>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        off();
        this.held.delete(release);
        resolve(answer());
      };
      const release = () => finish(() => messages.shuttingDown(r));
      this.held.add(release);
      const check = () => {
        const current = this.parts.store.get(r.id);
        const status = current ? statusAt(current, this.now()) : 'expired';
        // Approved: run it once; when another held copy used the grant first, ask again.
        if (status === 'approved') finish(async () => (await this.use(current!, ask)) ?? this.reviewOrThrow(ask));
        else if (status === 'denied') finish(() => messages.denied(current!));
        else if (status === 'used') finish(() => this.reviewOrThrow(ask));
        else if (status !== 'pending') finish(() => messages.waitTimedOut(current ?? r));
      };
      const timer = setTimeout(() => finish(() => messages.waitTimedOut(this.parts.store.get(r.id) ?? r)), r.rule.waitTimeoutMs);
      const off = this.parts.store.onChange((changed) => {
        if (changed.id === r.id) check();
      });
      check();
    }).catch((err: unknown) => {
      this.parts.log.error({ session: ask.session.id, request: r.id, err: (err as Error).message }, 'approvals: store unavailable; statement refused');
      return messages.unavailable(r.binding.rule);
    });
  }

  /** Answers every held statement (the gateway is stopping); their requests stay open. */
  close(): void {
    for (const release of [...this.held]) release();
  }

  /** An approver's decision; the store checks groups, self-approval and distinct approvers. */
  async decide(id: string, approver: VerifiedIdentity, decision: 'approve' | 'deny', reason: string): Promise<DecideResult> {
    const { store } = this.parts;
    if (!store.get(id)) return { ok: false, code: 'not-found', message: `no approval request ${id}` };
    const now = this.now();
    const outcome = await store.append({
      type: 'decided',
      id: newEventId(),
      at: now,
      request: id,
      approver: { subject: approver.subject, actors: approver.actor ? [approver.actor.subject, ...approver.actor.chain] : [], groups: approver.groups },
      decision,
      reason,
    });
    if (!outcome.ok) return outcome;
    const request = store.get(id)!;
    this.parts.audit.emit({
      type: 'approval.decided',
      session: request.session,
      at: new Date(now).toISOString(),
      request: id,
      rule: `approvals.${request.binding.rule}`,
      decision,
      approver: approver.subject,
      ...(approver.actor ? { approverActor: approver.actor.subject } : {}),
      reason,
      approvals: request.votes.filter((v) => v.decision === 'approve').length,
      approvalsNeeded: request.rule.approvalsNeeded,
      status: statusAt(request, now),
    });
    this.parts.log.info({ request: id, decision, approver: approver.subject, status: statusAt(request, now) }, 'approval decided');
    return { ok: true, request };
  }

  /** Whether this identity may see a request: an approver of its rule, or the requester. */
  canSee(identity: VerifiedIdentity, r: ApprovalRequest): boolean {
    if (identity.groups.some((g) => r.rule.approvers.includes(g))) return true;
    return identity.subject === r.binding.subject || identity.subject === r.binding.actor;
  }

  statusOf(r: ApprovalRequest): ReturnType<typeof statusAt> {
    return statusAt(r, this.now());
  }
}
