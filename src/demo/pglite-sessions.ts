// PGlite is one PostgreSQL backend running as its superuser: it ignores the user a client names
// at startup. The demo's agent must log in as a least-privileged role all the same (and the
// gateway refuses a restricted role on a superuser login), so this queue, which replaces
// pglite-socket's, runs each connection's messages as the user it named at startup: it sets
// SESSION AUTHORIZATION to that user before each of its messages outside a transaction.
// Like pglite-socket's queue it runs one message at a time, and while a transaction is open only
// the messages of the connection that opened it.
import type { PGlite } from '@electric-sql/pglite';
import { serialize } from 'pg-protocol';

/** The startup packet's protocol version 3.0 (PostgreSQL docs, "StartupMessage"). */
const PROTOCOL_3 = 196608;
/** Simple Query message code. */
const QUERY = 0x51;
const REPORTED = Buffer.from('session_authorization\0');
/** PGlite's own user: the session the seed ran in. */
export const PGLITE_SUPERUSER = 'postgres';

interface Pending {
  handler: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (err: Error) => void;
}

export class PgliteSessionQueue {
  private readonly pending: Pending[] = [];
  private readonly users = new Map<number, string>();
  private running = false;
  /** The connection whose message ran last: the owner of an open transaction. */
  private last: number | undefined;
  /** The session authorization the backend runs as now. */
  private current = PGLITE_SUPERUSER;

  constructor(private readonly db: PGlite) {}

  enqueue(handler: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      this.pending.push({ handler, message, onData, resolve, reject });
      void this.drain();
    });
  }

  clearQueueForHandler(handler: number): void {
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const p = this.pending[i]!;
      if (p.handler !== handler) continue;
      this.pending.splice(i, 1);
      p.reject(new Error('connection closed'));
    }
    this.users.delete(handler);
  }

  /** A connection that goes away mid-transaction must not leave the shared backend inside it. */
  async clearTransactionIfNeeded(handler: number): Promise<void> {
    if (this.db.isInTransaction() && this.last === handler) {
      await this.db.exec('ROLLBACK');
      this.last = undefined;
      void this.drain();
    }
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        const index = this.db.isInTransaction() ? this.pending.findIndex((p) => p.handler === this.last) : 0;
        if (index < 0 || this.pending.length === 0) return; // the transaction's owner has nothing queued yet
        const next = this.pending.splice(index, 1)[0]!;
        try {
          next.resolve(await this.db.runExclusive(() => this.run(next)));
        } catch (err) {
          next.reject(err instanceof Error ? err : new Error(String(err)));
        }
        this.last = next.handler;
      }
    } finally {
      this.running = false;
    }
  }

  private async run(p: Pending): Promise<number> {
    const user = startupUser(p.message);
    if (user !== undefined) this.users.set(p.handler, user);
    const wanted = this.users.get(p.handler) ?? PGLITE_SUPERUSER;
    // Outside a transaction: at each switch of user, and again before each simple query (the
    // client may have run SET SESSION AUTHORIZATION itself). Not between the messages of an
    // extended-protocol exchange: a query there would end its implicit transaction.
    if (!this.db.isInTransaction() && (wanted !== this.current || user !== undefined || p.message[0] === QUERY)) {
      await this.runSilently(`SET SESSION AUTHORIZATION ${quoteIdent(wanted)}`);
      this.current = wanted;
    }
    let bytes = 0;
    await this.db.execProtocolRawStream(p.message, {
      onRawData: (data) => {
        bytes += data.length;
        this.current = reportedAuthorization(data) ?? this.current;
        p.onData(data);
      },
    });
    return bytes;
  }

  /** Runs a simple query inside the exclusive section; its replies go nowhere. */
  private runSilently(sql: string): Promise<void> {
    return this.db.execProtocolRawStream(new Uint8Array(serialize.query(sql)), { onRawData: () => undefined });
  }
}

/** The `user` of a StartupMessage, or undefined for any other message. */
export function startupUser(message: Uint8Array): string | undefined {
  const m = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  if (m.length < 8 || m.readInt32BE(0) !== m.length || m.readInt32BE(4) !== PROTOCOL_3) return undefined;
  const fields = m.toString('utf8', 8).split('\0');
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === 'user') return fields[i + 1];
  return undefined;
}

/** The session_authorization a ParameterStatus in this output reports, if any (GUC_REPORT). */
function reportedAuthorization(data: Uint8Array): string | undefined {
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const at = b.lastIndexOf(REPORTED);
  if (at < 0) return undefined;
  const start = at + REPORTED.length;
  const end = b.indexOf(0, start);
  return end < 0 ? undefined : b.toString('utf8', start, end);
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
