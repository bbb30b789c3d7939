// Where approval requests and decisions live. Every store is a log of events applied in order to
// an ApprovalLedger: in memory for a single gateway, or a Kafka topic that every gateway
// instance consumes from the beginning, so approvals given on one are used on another.
import { ApprovalLedger, type RequestListener } from './ledger.js';
import type { ApprovalBinding, ApprovalEvent, ApprovalRequest, ApprovalStatus, EventOutcome } from './types.js';

export interface ApprovalStore {
  /** For the startup log: where approvals are kept. */
  readonly description: string;
  /** Connects and catches up with the events already recorded. */
  start(): Promise<void>;
  close(): Promise<void>;
  /** Records an event; resolves with its outcome once this store has applied it. */
  append(event: ApprovalEvent): Promise<EventOutcome>;
  get(id: string): ApprovalRequest | undefined;
  /** Every request still kept (pending, and finished within the last hour), newest first. */
  list(): ApprovalRequest[];
  /** The latest request bound to `binding` whose status at `now` is one of `statuses`. */
  latest(binding: ApprovalBinding, now: number, statuses: readonly ApprovalStatus[]): ApprovalRequest | undefined;
  /** Called after each event that changed a request, on whichever instance it was made. */
  onChange(listener: RequestListener): () => void;
}

/** The reads every store shares: all come from the ledger the events were applied to. */
export abstract class LedgerStore implements ApprovalStore {
  protected readonly ledger = new ApprovalLedger();
  abstract readonly description: string;
  abstract start(): Promise<void>;
  abstract close(): Promise<void>;
  abstract append(event: ApprovalEvent): Promise<EventOutcome>;

  get(id: string): ApprovalRequest | undefined {
    return this.ledger.get(id);
  }

  list(): ApprovalRequest[] {
    return this.ledger.list();
  }

  latest(binding: ApprovalBinding, now: number, statuses: readonly ApprovalStatus[]): ApprovalRequest | undefined {
    return this.ledger.latest(binding, now, statuses);
  }

  onChange(listener: RequestListener): () => void {
    return this.ledger.onChange(listener);
  }
}

/** One gateway only: approvals live and die with the process. */
export class MemoryApprovalStore extends LedgerStore {
  readonly description = 'in memory (this gateway instance only)';

  async start(): Promise<void> {}
  async close(): Promise<void> {}

  append(event: ApprovalEvent): Promise<EventOutcome> {
    return Promise.resolve(this.ledger.apply(event));
  }
}
