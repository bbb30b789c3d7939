// The audit trail of one gateway instance: chains each event (chain.ts), writes it through a
// transport, and checkpoints the chain head at an interval and at shutdown (checkpoint.ts).
import type { KeyObject } from 'node:crypto';
import { isoNow } from './clock.js';
import { AuditChain } from './chain.js';
import { makeCheckpoint } from './checkpoint.js';
import type { AuditEvent } from './event.js';
import type { AuditHealth, AuditSink } from './sink.js';

/** One chained event or checkpoint, ready to store: its JSON text, and what a transport routes it by. */
export interface AuditRecord {
  type: string;
  session: string;
  instance: string;
  /** The bytes to store, exactly: a version 2 event's hash covers them. */
  json: string;
}

/** Stores chained events and checkpoints, in the order written. */
export interface AuditTransport {
  write(record: AuditRecord): void;
  writable(): boolean;
  health(): AuditHealth;
  close(): Promise<void>;
}

export interface AuditTrailOptions {
  chain?: AuditChain;
  /** Ed25519 private key; without it checkpoints are written unsigned. */
  signingKey?: KeyObject;
  /** 0 or absent: only the shutdown checkpoint. */
  checkpointIntervalMs?: number;
  onError?: (err: unknown) => void;
}

export class AuditTrail implements AuditSink {
  readonly chain: AuditChain;
  private timer: NodeJS.Timeout | undefined;
  private lastCheckpointSeq = -1;
  private closing: Promise<void> | undefined;

  constructor(
    readonly transport: AuditTransport,
    private readonly opts: AuditTrailOptions = {},
  ) {
    this.chain = opts.chain ?? new AuditChain();
    if (opts.checkpointIntervalMs) {
      this.timer = setInterval(() => {
        this.checkpoint(false).catch((err: unknown) => opts.onError?.(err));
      }, opts.checkpointIntervalMs);
      this.timer.unref();
    }
  }

  get instance(): string {
    return this.chain.instance;
  }

  emit(event: AuditEvent): void {
    const json = this.chain.serialize(event);
    this.transport.write({ type: event.type, session: event.session, instance: this.chain.instance, json });
  }

  emitMembers(type: string, session: string, members: string): void {
    const json = this.chain.serializeMembers(members);
    this.transport.write({ type, session, instance: this.chain.instance, json });
  }

  writable(): boolean {
    return this.transport.writable();
  }

  health(): AuditHealth {
    return this.transport.health();
  }

  /** Writes a checkpoint of the current head (an interval checkpoint only when the head moved). */
  async checkpoint(final: boolean): Promise<void> {
    const head = this.chain.position();
    if (!final && head.seq === this.lastCheckpointSeq) return;
    this.lastCheckpointSeq = head.seq;
    const cp = await makeCheckpoint(head, isoNow(), final, this.opts.signingKey);
    this.transport.write({ type: cp.type, session: cp.session, instance: cp.instance, json: JSON.stringify(cp) });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.timer);
      await this.checkpoint(true);
      await this.transport.close();
    })();
    return this.closing;
  }
}
