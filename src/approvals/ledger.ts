// The state of every approval request, built by applying events in order. Each check uses the
// event's own time, never the clock of the instance applying it, so every gateway that reads the
// same events (the Kafka topic) reaches the same state and the same verdict on each event.
import { statusAt, type ApprovalBinding, type ApprovalEvent, type ApprovalRequest, type EventOutcome } from './types.js';

/** Finished and lapsed requests stay listed this long (GET /approvals shows "recent" ones). */
const KEEP_FINISHED_MS = 60 * 60_000;
/** Outcomes of this many latest events are kept for the writers waiting on them. */
const MAX_OUTCOMES = 10_000;

export type RequestListener = (request: ApprovalRequest, event: ApprovalEvent) => void;

export class ApprovalLedger {
  private readonly requests = new Map<string, ApprovalRequest>();
  private readonly outcomes = new Map<string, EventOutcome>();
  private readonly listeners = new Set<RequestListener>();

  apply(event: ApprovalEvent): EventOutcome {
    const known = this.outcomes.get(event.id);
    if (known) return known; // delivered twice (a producer retry): applied once
    const outcome = this.applyNew(event);
    this.outcomes.set(event.id, outcome);
    if (this.outcomes.size > MAX_OUTCOMES) this.outcomes.delete(this.outcomes.keys().next().value as string);
    if (outcome.ok) {
      const request = this.requests.get(event.type === 'requested' ? event.request.id : event.request);
      if (request) for (const l of this.listeners) l(request, event);
    }
    return outcome;
  }

  /** The outcome of an event already applied, if it is still remembered. */
  outcomeOf(eventId: string): EventOutcome | undefined {
    return this.outcomes.get(eventId);
  }

  get(id: string): ApprovalRequest | undefined {
    return this.requests.get(id);
  }

  /** Newest first. */
  list(): ApprovalRequest[] {
    return [...this.requests.values()].reverse();
  }

  /** The latest request for this binding in one of the given statuses at `now`. */
  latest(binding: ApprovalBinding, now: number, statuses: readonly string[]): ApprovalRequest | undefined {
    let found: ApprovalRequest | undefined;
    for (const r of this.requests.values()) {
      if (sameBinding(r.binding, binding) && statuses.includes(statusAt(r, now))) found = r;
    }
    return found;
  }

  onChange(listener: RequestListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private applyNew(event: ApprovalEvent): EventOutcome {
    switch (event.type) {
      case 'requested': {
        const r = event.request;
        if (this.requests.has(r.id)) return { ok: true };
        this.prune(event.at);
        // A held statement may outwait the ttl: the request stays open at least as long as it is held.
        const openFor = r.rule.mode === 'wait' ? Math.max(r.rule.ttlMs, r.rule.waitTimeoutMs) : r.rule.ttlMs;
        this.requests.set(r.id, { ...r, state: 'pending', votes: [], expiresAt: r.createdAt + openFor });
        return { ok: true };
      }
      case 'decided':
        return this.decide(event);
      case 'used': {
        const r = this.requests.get(event.request);
        if (!r) return refused('not-found', `no approval request ${event.request}`);
        const status = statusAt(r, event.at);
        if (status === 'expired') return refused('expired', `approval ${r.id} expired`);
        if (status !== 'approved') return refused('not-pending', `approval ${r.id} is ${status}, not approved`);
        r.state = 'used';
        r.usedAt = event.at;
        r.usedBy = event.session;
        return { ok: true };
      }
    }
  }

  private decide(event: Extract<ApprovalEvent, { type: 'decided' }>): EventOutcome {
    const r = this.requests.get(event.request);
    if (!r) return refused('not-found', `no approval request ${event.request}`);
    const status = statusAt(r, event.at);
    if (status === 'expired') return refused('expired', `approval request ${r.id} expired`);
    if (status !== 'pending') return refused('not-pending', `approval request ${r.id} is already ${status}`);
    const { approver } = event;
    const requesters = new Set([r.binding.subject, ...(r.binding.actor ? [r.binding.actor] : []), ...r.actorChain]);
    if ([approver.subject, ...approver.actors].some((s) => requesters.has(s))) {
      return refused('self-approval', `${approver.subject} cannot decide approval request ${r.id}: nobody approves their own request`);
    }
    if (!approver.groups.some((g) => r.rule.approvers.includes(g))) {
      return refused('not-approver', `${approver.subject} is not in an approver group of rule ${r.binding.rule} (${r.rule.approvers.join(', ')})`);
    }
    if (r.votes.some((v) => v.approver === approver.subject)) {
      return refused('already-voted', `${approver.subject} already approved request ${r.id}; it needs ${r.rule.approvalsNeeded} distinct approvers`);
    }
    r.votes.push({ approver: approver.subject, decision: event.decision, reason: event.reason, at: event.at });
    if (event.decision === 'deny') {
      r.state = 'denied';
      r.decidedAt = event.at;
    } else if (r.votes.filter((v) => v.decision === 'approve').length >= r.rule.approvalsNeeded) {
      r.state = 'approved';
      r.decidedAt = event.at;
      r.expiresAt = event.at + r.rule.ttlMs; // ttl: how long the grant stays usable
    }
    return { ok: true };
  }

  /** Drops requests that finished or lapsed long ago, so memory stays bounded. */
  private prune(now: number): void {
    for (const [id, r] of this.requests) {
      const last = Math.max(r.expiresAt, r.decidedAt ?? 0, r.usedAt ?? 0);
      if (statusAt(r, now) !== 'pending' && statusAt(r, now) !== 'approved' && last + KEEP_FINISHED_MS < now) this.requests.delete(id);
    }
  }
}

export function sameBinding(a: ApprovalBinding, b: ApprovalBinding): boolean {
  return (
    a.subject === b.subject &&
    (a.actor ?? '') === (b.actor ?? '') &&
    a.role === b.role &&
    a.rule === b.rule &&
    a.fingerprint === b.fingerprint &&
    a.sqlHash === b.sqlHash
  );
}

function refused(code: Extract<EventOutcome, { ok: false }>['code'], message: string): EventOutcome {
  return { ok: false, code, message };
}
