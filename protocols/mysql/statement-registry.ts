// Prepared statements of one connection that the gateway allowed: an EXECUTE, FETCH, RESET or
// SEND_LONG_DATA names a statement id, and runs only when its PREPARE was allowed.
import type { ColumnDefinition } from './column-definition.js';
import { LAST_PREPARED_STATEMENT } from './prepared.js';

export interface PreparedEntry {
  /** Export limit of the statement's results. */
  limit: number;
  /** Columns of the open cursor's rows (from the EXECUTE that opened it). */
  cursorColumns: ColumnDefinition[] | undefined;
  /** Rows of the open cursor sent so far. */
  cursorRows: number;
  /** The decision's context for the statement, handed back with its results. */
  context: unknown;
}

export class StatementRegistry {
  private readonly entries = new Map<number, PreparedEntry>();
  private last: number | undefined;

  prepared(id: number, limit: number, context: unknown): void {
    this.entries.set(id, { limit, cursorColumns: undefined, cursorRows: 0, context });
    this.last = id;
  }

  /** The entry for an id (MariaDB's 0xffffffff: the statement prepared last). */
  get(id: number): PreparedEntry | undefined {
    return this.entries.get(id === LAST_PREPARED_STATEMENT && this.last !== undefined ? this.last : id);
  }

  /** A PREPARE the server refused: the server's "last prepared statement" is none now. */
  prepareFailed(): void {
    this.last = undefined;
  }

  closed(id: number): void {
    this.entries.delete(id);
  }

  clear(): void {
    this.entries.clear();
    this.last = undefined;
  }

  get size(): number {
    return this.entries.size;
  }
}
