// Maps the backend keys the gateway hands to clients onto the upstream backends they stand for,
// so a CancelRequest on a new connection reaches the right server process.
import { randomInt, timingSafeEqual } from 'node:crypto';

export interface CancelTarget {
  /** Sends the cancel to the upstream; the registry does not know how. */
  cancel(): Promise<void>;
}

interface Entry {
  secret: Buffer;
  target: CancelTarget;
}

export class CancelRegistry {
  private readonly entries = new Map<number, Entry>();

  /** Registers a target; returns the gateway's own key for the client. */
  register(target: CancelTarget): { processId: number; secretKey: number } {
    let processId: number;
    do processId = randomInt(1, 0x7fffffff);
    while (this.entries.has(processId));
    const secretKey = randomInt(-0x80000000, 0x7fffffff);
    const secret = Buffer.alloc(4);
    secret.writeInt32BE(secretKey);
    this.entries.set(processId, { secret, target });
    return { processId, secretKey };
  }

  unregister(processId: number): void {
    this.entries.delete(processId);
  }

  /** The target for a key, compared in constant time; undefined for an unknown or wrong key. */
  lookup(processId: number, secretKey: number): CancelTarget | undefined {
    const e = this.entries.get(processId);
    if (!e) return undefined;
    const given = Buffer.alloc(4);
    given.writeInt32BE(secretKey | 0);
    return timingSafeEqual(given, e.secret) ? e.target : undefined;
  }

  get size(): number {
    return this.entries.size;
  }
}
