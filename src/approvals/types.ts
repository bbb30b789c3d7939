// The vocabulary of just-in-time approvals: what a request is bound to, who decided, and the
// events every store (in memory, or a Kafka topic shared by several gateways) is made of.

/** What an approval is good for: the same identity running the same statement under the same rule. */
export interface ApprovalBinding {
  /** Token subject of the requester. */
  subject: string;
  /** The party acting for the subject (RFC 8693 `act`), when the token carries one. */
  actor?: string;
  role: string;
  /** Approval rule name within the role. */
  rule: string;
  /** Statement shape (literals folded): src/sql StatementAnalysis.fingerprint. */
  fingerprint: string;
  /**
   * sha256 (hex) of the exact SQL text: the statement's literal values (and, for the extended
   * protocol, its `$n` placeholders). A different literal is a different statement.
   */
  sqlHash: string;
}

/** The approval rule as it was when the request was made (a reload does not change open requests). */
export interface RequestedRule {
  mode: 'reject' | 'wait';
  approvers: string[];
  approvalsNeeded: number;
  ttlMs: number;
  waitTimeoutMs: number;
}

export interface Approver {
  subject: string;
  /** Subjects acting for the approver (act chain), outermost first. */
  actors: string[];
  groups: string[];
}

export interface ApprovalVote {
  approver: string;
  decision: 'approve' | 'deny';
  reason: string;
  at: number;
}

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'used' | 'expired';

/** One request as a store knows it after applying every event so far. */
export interface ApprovalRequest {
  id: string;
  binding: ApprovalBinding;
  /** Earlier actors of the requester's act chain (for the self-approval check). */
  actorChain: string[];
  rule: RequestedRule;
  /**
   * The statement for the approver to read: its shape with literals as `?` (PHI lives in
   * literals), or the exact text when the rules file sets audit.redactLiterals: false.
   */
  sql: string;
  /** Session that asked, for the audit trail. */
  session: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** Pending: when the request lapses; approved: when the grant lapses (grant time + ttl). */
  expiresAt: number;
  /** Stored status; `expired` is computed from expiresAt by statusAt(). */
  state: 'pending' | 'approved' | 'denied' | 'used';
  votes: ApprovalVote[];
  decidedAt?: number;
  usedAt?: number;
  /** Session that ran the approved statement. */
  usedBy?: string;
}

export type NewApprovalRequest = Omit<ApprovalRequest, 'state' | 'votes' | 'decidedAt' | 'usedAt' | 'usedBy' | 'expiresAt'>;

/** Events, in the order a store applies them. `id` identifies the event, `request` the request. */
export type ApprovalEvent =
  | { type: 'requested'; id: string; at: number; request: NewApprovalRequest }
  | { type: 'decided'; id: string; at: number; request: string; approver: Approver; decision: 'approve' | 'deny'; reason: string }
  | { type: 'used'; id: string; at: number; request: string; session: string };

/** Why a store refused an event; the admin API maps these to HTTP statuses. */
export type RefusalCode = 'not-found' | 'not-pending' | 'self-approval' | 'not-approver' | 'already-voted' | 'expired';

export type EventOutcome = { ok: true } | { ok: false; code: RefusalCode; message: string };

export function statusAt(r: ApprovalRequest, now: number): ApprovalStatus {
  if ((r.state === 'pending' || r.state === 'approved') && now >= r.expiresAt) return 'expired';
  return r.state;
}
