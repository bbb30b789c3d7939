// Runs simple Query messages on a gateway-owned upstream connection and collects text rows, or
// hands them one by one to a callback (PostgreSQL docs, "Simple Query"). Used for the gateway's own
// catalog reads and dictionary refreshes, never for client traffic; one query at a time per
// connection.
import type net from 'node:net';
import { serialize, type DatabaseError } from 'pg-protocol';
import { Parser } from 'pg-protocol/dist/parser.js';
import type { BackendMessage } from 'pg-protocol/dist/messages.js';

/** Rows of the last result set as text (null for SQL NULL). */
export type TextRows = (string | null)[][];

export class SimpleQueryError extends Error {
  constructor(
    message: string,
    readonly sqlState?: string,
  ) {
    super(message);
    this.name = 'SimpleQueryError';
  }
}

export class SimpleQueryConnection {
  private readonly parser = new Parser();
  private current: { onRow: (fields: (string | null)[]) => void; error?: SimpleQueryError; resolve: () => void; reject: (e: Error) => void } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private broken: Error | undefined;

  constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      try {
        this.parser.parse(chunk, (msg) => this.onMessage(msg));
      } catch (err) {
        this.fail(err instanceof Error ? err : new Error(String(err)));
      }
    });
    socket.on('close', () => this.fail(new SimpleQueryError('the catalog connection closed')));
    socket.on('error', (err) => this.fail(new SimpleQueryError(`the catalog connection failed: ${err.message}`)));
    socket.resume();
  }

  get usable(): boolean {
    return this.broken === undefined && !this.socket.destroyed;
  }

  /** Runs one query string; resolves with the rows of its last result set. */
  async query(sql: string): Promise<TextRows> {
    let rows: TextRows = [];
    let description: unknown;
    await this.forEachRow(sql, (fields, result) => {
      if (result !== description) {
        description = result;
        rows = [];
      }
      rows.push(fields);
    });
    return rows;
  }

  /**
   * Runs one query string and hands each row to `onRow` as it arrives, with a token that changes
   * with each result set; nothing is kept, so a large result costs no memory here.
   */
  forEachRow(sql: string, onRow: (fields: (string | null)[], result: object) => void): Promise<void> {
    const run = this.queue.then(() => this.runOne(sql, onRow));
    this.queue = run.catch(() => undefined);
    return run;
  }

  close(): void {
    if (!this.socket.destroyed) this.socket.end(serialize.end());
  }

  private result: object = {};

  private runOne(sql: string, onRow: (fields: (string | null)[], result: object) => void): Promise<void> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      this.current = { onRow: (fields) => onRow(fields, this.result), resolve, reject };
      this.socket.write(serialize.query(sql));
    });
  }

  private onMessage(msg: BackendMessage): void {
    const cur = this.current;
    switch (msg.name) {
      case 'rowDescription':
        this.result = {};
        return;
      case 'dataRow':
        cur?.onRow((msg as unknown as { fields: (string | null)[] }).fields);
        return;
      case 'error': {
        const e = msg as DatabaseError;
        if (cur) cur.error = new SimpleQueryError(e.message, e.code);
        return;
      }
      case 'readyForQuery':
        this.current = undefined;
        if (!cur) return;
        if (cur.error) cur.reject(cur.error);
        else cur.resolve();
        return;
      default:
        return; // CommandComplete, notices, parameter status
    }
  }

  private fail(err: Error): void {
    if (this.broken) return;
    this.broken = err;
    const cur = this.current;
    this.current = undefined;
    cur?.reject(err);
    this.socket.destroy();
  }
}
