// What the client is owed, in order: one entry per request the server will answer, and the
// gateway's own replies (denials) queued between them so they go out in protocol order.
import type { BindTarget } from './frontend-messages.js';
import type { PortalPlan, StatementPlan } from './prepared-registry.js';

export const Pending = {
  Query: 1,
  FunctionCall: 2,
  Parse: 3,
  Bind: 4,
  DescribeStatement: 5,
  DescribePortal: 6,
  Execute: 7,
  Close: 8,
  Sync: 9,
  /** A reply the gateway made itself, sent when it reaches the head. */
  Reply: 10,
} as const;

export type PendingKind = (typeof Pending)[keyof typeof Pending];

export interface PendingEntry {
  kind: PendingKind;
  /** Statement or portal name, where the request has one. */
  name: string;
  reply?: Buffer;
  /** Rows this request may return (export limit); Infinity when unlimited. */
  limit: number;
  /** Rows returned so far (for an Execute, counted from the portal's earlier Executes). */
  rows: number;
  /** What the session attached to the statement when it allowed it (handed back with its result columns). */
  context?: unknown;
  /** Results this request has completed so far (a simple Query string may hold several statements). */
  results: number;
  /** `rows` when the request was queued (an Execute continues its portal's count). */
  rowsBefore: number;
  /** performance.now() when the request was queued. */
  startedAt: number;
  /** SQLSTATE of the error that ended it, once one did. */
  sqlState?: string;
  /** Parse: the plan the statement gets once the server confirms it. */
  statement?: StatementPlan;
  /** Bind: what the portal is bound to once the server confirms it. */
  bind?: BindTarget;
  /** Close and Describe: 'S' (statement) or 'P' (portal). */
  target?: 'S' | 'P';
  /** A Describe the gateway added itself: its answer is the gateway's, not forwarded. */
  own?: boolean;
  /** Execute: the portal as the server had it when the Execute ran (set at its first answer). */
  portal?: PortalPlan | null;
}

/** Requests the server answers with ReadyForQuery. */
const endsWithReady = (k: PendingKind) => k === Pending.Sync || k === Pending.Query || k === Pending.FunctionCall;

export class ResponseQueue {
  private items: PendingEntry[] = [];
  private start = 0;

  get size(): number {
    return this.items.length - this.start;
  }

  get head(): PendingEntry | undefined {
    return this.items[this.start];
  }

  push(kind: PendingKind, name: string, limit = Infinity, rows = 0, context?: unknown): PendingEntry {
    // Every member set here, in one order: entries keep one shape on the hot path.
    const entry: PendingEntry = { kind, name, reply: undefined, limit, rows, context, results: 0, rowsBefore: rows, startedAt: 0, sqlState: undefined, statement: undefined, bind: undefined, target: undefined, own: false, portal: undefined };
    this.items.push(entry);
    return entry;
  }

  pushReply(reply: Buffer): void {
    const entry = this.push(Pending.Reply, '');
    entry.reply = reply;
  }

  /** The requests still queued, in order (for a session that ends with requests in flight). */
  pending(): PendingEntry[] {
    return this.items.slice(this.start);
  }

  shift(): PendingEntry | undefined {
    const e = this.items[this.start];
    if (e === undefined) return undefined;
    this.start++;
    if (this.start > 64 && this.start * 2 > this.items.length) {
      this.items = this.items.slice(this.start);
      this.start = 0;
    }
    return e;
  }

  /** The gateway reply at the head, if the head is one; it is removed. */
  takeReply(): Buffer | undefined {
    const e = this.head;
    if (e?.kind !== Pending.Reply) return undefined;
    this.shift();
    return e.reply;
  }

  /**
   * An error ends the current request. A simple Query (or FunctionCall) ends at its own
   * ReadyForQuery; in an extended-protocol batch the server discards every message up to Sync,
   * a Query among them included, and answers none of them. Returns false when no Sync is queued
   * yet: what the client sends until its Sync is discarded too.
   */
  failBatch(): boolean {
    const head = this.head;
    if (head !== undefined && (head.kind === Pending.Query || head.kind === Pending.FunctionCall)) return true;
    while (this.size > 0 && this.head!.kind !== Pending.Sync) this.shift();
    return this.size > 0;
  }

  /** True when a request answered by ReadyForQuery is queued (a Sync after a batch, say). */
  get awaitsReady(): boolean {
    for (let i = this.start; i < this.items.length; i++) if (endsWithReady(this.items[i]!.kind)) return true;
    return false;
  }

  /** ReadyForQuery answers the first Sync, Query or FunctionCall. */
  shiftThroughReady(): void {
    while (this.size > 0) {
      const e = this.shift()!;
      if (endsWithReady(e.kind)) return;
    }
  }
}
