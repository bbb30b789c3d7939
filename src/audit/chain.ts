// One instance's hash chain: every event gets the instance id, the next sequence number and the
// hash of the event before it, so a reader can tell an altered, missing, reordered or inserted
// event from the stored events alone (docs/audit.md).
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { canonicalJson, sha256Hex } from './canonical.js';
import { AUDIT_EVENT_VERSION, GENESIS_HASH, type AuditEvent, type ChainedEvent } from './event.js';

export interface ChainHead {
  instance: string;
  /** seq of the last event (-1 before the first). */
  seq: number;
  /** Its hash (GENESIS_HASH before the first). */
  head: string;
}

/** A new id per process start: a restarted gateway begins a new chain instead of forking the old one. */
export function newInstanceId(name = hostname()): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
  return `${name}-${stamp}-${randomBytes(4).toString('hex')}`;
}

export class AuditChain {
  private seq = -1;
  private head = GENESIS_HASH;

  constructor(readonly instance: string = newInstanceId()) {}

  /** Stamps the event with its chain fields; synchronous, on the statement path. */
  link(event: AuditEvent): ChainedEvent {
    return this.linkSerialized(event).event;
  }

  /**
   * link() plus the event's JSON text, made from the canonical text the hash was computed over
   * (so the event is serialized once): `hash` first, then the members in canonical order.
   */
  linkSerialized(event: AuditEvent): { event: ChainedEvent; json: string } {
    const { type, session, at, ...fields } = event;
    const chained = {
      v: AUDIT_EVENT_VERSION,
      type,
      session,
      at,
      instance: this.instance,
      seq: this.seq + 1,
      ...fields,
      prevHash: this.head,
      hash: '',
    } as ChainedEvent;
    const canonical = canonicalJson(chained, 'hash');
    chained.hash = sha256Hex(canonical);
    this.seq = chained.seq;
    this.head = chained.hash;
    return { event: chained, json: `{"hash":"${chained.hash}",${canonical.slice(1)}` };
  }

  position(): ChainHead {
    return { instance: this.instance, seq: this.seq, head: this.head };
  }
}
