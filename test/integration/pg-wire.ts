// A raw PostgreSQL protocol client for adversarial tests: sends any sequence of frontend messages
// (pg-protocol's serializer) and collects every backend message, so a test can do what no
// well-behaved driver does (skip Describe, re-Parse under a bound portal, resume portals).
import net from 'node:net';
import { parse, serialize } from 'pg-protocol';
import type { BackendMessage } from 'pg-protocol/dist/messages.js';

export { serialize };

export interface WireMessage {
  name: string;
  /** DataRow values as text (binary values as hex), ErrorResponse/NoticeResponse fields, and so on. */
  values?: (string | null)[];
  code?: string;
  message?: string;
  status?: string;
  fields?: string[];
  raw: BackendMessage;
}

export class WireClient {
  private readonly messages: WireMessage[] = [];
  private waiters: (() => void)[] = [];
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    void parse(socket, (m) => {
      this.messages.push(toWire(m));
      const w = this.waiters;
      this.waiters = [];
      w.forEach((f) => f());
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiters.forEach((f) => f());
    });
    socket.on('error', () => undefined);
  }

  /** Connects and logs in with a token as the password; resolves after the first ReadyForQuery. */
  static async connect(port: number, user: string, token: string, database: string): Promise<WireClient> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((res, rej) => {
      socket.once('connect', () => res());
      socket.once('error', rej);
    });
    const c = new WireClient(socket);
    socket.write(serialize.startup({ user, database }));
    const auth = await c.next((m) => m.name === 'authenticationCleartextPassword' || m.name === 'error');
    if (auth.name === 'error') throw new Error(`login refused: ${auth.message}`);
    socket.write(serialize.password(token));
    const ready = await c.next((m) => m.name === 'readyForQuery' || m.name === 'error');
    if (ready.name === 'error') throw new Error(`login refused: ${ready.message}`);
    c.messages.length = 0;
    return c;
  }

  send(...frames: Buffer[]): void {
    this.socket.write(Buffer.concat(frames));
  }

  /** Waits for `count` ReadyForQuery messages (or the end of the connection) and returns what came before them. */
  async untilReady(count = 1, timeoutMs = 10_000): Promise<WireMessage[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ready = this.messages.filter((m) => m.name === 'readyForQuery').length;
      if (ready >= count || this.closed) {
        const out = this.messages.splice(0);
        return out;
      }
      if (Date.now() > deadline) throw new Error(`no ReadyForQuery after ${timeoutMs} ms; got ${this.messages.map((m) => m.name).join(',')}`);
      await new Promise<void>((res) => {
        const t = setTimeout(res, 100);
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
  }

  /** Waits up to `ms` and returns everything received so far (for batches without Sync). */
  async collect(ms: number): Promise<WireMessage[]> {
    await new Promise((r) => setTimeout(r, ms));
    return this.messages.splice(0);
  }

  private async next(pred: (m: WireMessage) => boolean): Promise<WireMessage> {
    for (;;) {
      const i = this.messages.findIndex(pred);
      if (i >= 0) return this.messages.splice(0, i + 1)[i]!;
      if (this.closed) throw new Error('connection closed');
      await new Promise<void>((res) => this.waiters.push(res));
    }
  }

  close(): void {
    if (!this.closed) this.socket.end(serialize.end());
  }
}

function toWire(m: BackendMessage): WireMessage {
  const any = m as unknown as Record<string, unknown>;
  const out: WireMessage = { name: m.name, raw: m };
  if (m.name === 'dataRow') out.values = (any.fields as (string | null)[]).map((v) => (v === null ? null : String(v)));
  if (m.name === 'error' || m.name === 'notice') {
    out.code = any.code as string;
    out.message = [any.message, any.detail, any.hint, any.where].filter(Boolean).join(' | ');
  }
  if (m.name === 'readyForQuery') out.status = any.status as string;
  if (m.name === 'rowDescription') out.fields = (any.fields as { name: string }[]).map((f) => f.name);
  return out;
}

/** Every text a client saw in these messages: row values, error and notice texts, notifications, parameters. */
export function seenText(messages: readonly WireMessage[]): string {
  return messages
    .map((m) => {
      if (m.values) return m.values.join('\t');
      if (m.message) return m.message;
      const any = m.raw as unknown as Record<string, unknown>;
      if (m.name === 'notification') return `${String(any.channel)} ${String(any.payload)}`;
      if (m.name === 'parameterStatus') return `${String(any.parameterName)}=${String(any.parameterValue)}`;
      return '';
    })
    .join('\n');
}

export const rowsOf = (messages: readonly WireMessage[]): (string | null)[][] => messages.filter((m) => m.values).map((m) => m.values!);
export const errorsOf = (messages: readonly WireMessage[]): WireMessage[] => messages.filter((m) => m.name === 'error');
