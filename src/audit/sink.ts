// Where audit events go. The gateway holds one AuditSink: an AuditTrail (trail.ts) that chains
// every event and writes it through a transport: Kafka with a local spool (kafka-transport.ts) or,
// with no brokers configured, a JSON-lines file (file-transport.ts). create-sink.ts picks one.
import type { AuditEvent } from './event.js';

export type { AuditEvent } from './event.js';

export interface AuditHealth {
  transport: 'kafka' | 'file' | 'memory';
  /** ok: events reach their store; spooling: Kafka is down, events go to the local spool; failed: events reach neither. */
  state: 'ok' | 'spooling' | 'failed' | 'closed';
  /** False when statements must be refused (onFailure block and events cannot be stored). */
  writable: boolean;
  /** Events in memory, not yet sent nor spooled. */
  queueDepth: number;
  /** Unsent bytes in the spool. */
  spoolBytes: number;
  /** Age of the oldest event not yet in its final store, in ms (0 when none is pending). */
  lagMs: number;
  sent: number;
  failed: number;
  dropped: number;
  lastError?: string;
}

export interface AuditSink {
  /** Synchronous: never waits for a broker or a disk on the statement path. */
  emit(event: AuditEvent): void;
  /**
   * emit() of an event given as its JSON members without braces (`"type":...,"session":...,`
   * first): for the hottest event, made from cached text. Sinks without it get emit().
   */
  emitMembers?(type: string, session: string, members: string): void;
  /** Whether statements may run: false means "audit trail unavailable", refuse until it recovers. */
  writable(): boolean;
  health(): AuditHealth;
  close(): Promise<void>;
}

/** The message a session sends when `writable()` is false. */
export const AUDIT_UNAVAILABLE_MESSAGE = 'sqlveil: audit trail unavailable: statement refused until audit recovers';

/** Keeps events in memory, unchained: for tests of pure code. */
export class MemoryAuditSink implements AuditSink {
  readonly events: AuditEvent[] = [];
  emit(event: AuditEvent): void {
    this.events.push(event);
  }
  writable(): boolean {
    return true;
  }
  health(): AuditHealth {
    return { transport: 'memory', state: 'ok', writable: true, queueDepth: 0, spoolBytes: 0, lagMs: 0, sent: this.events.length, failed: 0, dropped: 0 };
  }
  async close(): Promise<void> {}
}
