// One instance's hash chain: every event gets the instance id, the next sequence number and the
// hash of the event before it, so a reader can tell an altered, missing, reordered or inserted
// event from the stored events alone (docs/audit.md).
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { sha256Hex } from './canonical.js';
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
  private readonly instanceJson: string;

  constructor(readonly instance: string = newInstanceId()) {
    this.instanceJson = JSON.stringify(instance);
  }

  /** Stamps the event with its chain fields (the parsed form of serialize()). */
  link(event: AuditEvent): ChainedEvent {
    return JSON.parse(this.serialize(event)) as ChainedEvent;
  }

  /**
   * Chains the event and returns its JSON text, the bytes to store: the event's members between
   * the version and the chain fields, `hash` last. The hash covers exactly those bytes without
   * the `hash` member (docs/audit.md, "Integrity"), so the event is serialized once, on the
   * statement path, and nothing is re-ordered or re-encoded to hash or to verify it.
   */
  serialize(event: AuditEvent): string {
    return this.serializeMembers(JSON.stringify(event).slice(1, -1));
  }

  /** serialize() of an event given as its JSON members without braces. */
  serializeMembers(members: string): string {
    const seq = this.seq + 1;
    const body = `{"v":${AUDIT_EVENT_VERSION},${members},"instance":${this.instanceJson},"seq":${seq},"prevHash":"${this.head}"}`;
    const hash = sha256Hex(body);
    this.seq = seq;
    this.head = hash;
    return `${body.slice(0, -1)},"hash":"${hash}"}`;
  }

  position(): ChainHead {
    return { instance: this.instance, seq: this.seq, head: this.head };
  }
}
