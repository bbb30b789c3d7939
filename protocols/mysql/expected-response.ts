// The response the MySQL relay is reading (MySQL docs, "Command Phase": Text Resultset, Binary
// Protocol Resultset, COM_STMT_PREPARE Response, COM_STMT_FETCH Response): which kind, where in
// its structure, and what the rows of its current result set count against.
import { readColumnDefinition, type ColumnDefinition } from './column-definition.js';
import type { PreparedEntry } from './statement-registry.js';

export type ResponseKind = 'results' | 'fetch' | 'prepare' | 'single' | 'field-list';
export type Phase = 'first' | 'columns' | 'columns-eof' | 'rows' | 'prepare-params' | 'prepare-params-eof' | 'prepare-columns' | 'prepare-columns-eof';

/** The response the relay is reading. */
export interface Expect {
  kind: ResponseKind;
  phase: Phase;
  format: 'text' | 'binary';
  /** Export limit for the rows of this response. */
  limit: number;
  /** Rows already sent of this statement (a cursor fetched in steps). */
  rowsBefore: number;
  columnCount: number;
  columns: ColumnDefinition[];
  rows: number;
  /** Prepared statement this response belongs to (EXECUTE, FETCH, PREPARE). */
  entry: PreparedEntry | undefined;
  /** The EXECUTE asked for a cursor. */
  cursor: boolean;
  /** Parameter definitions left to skip (PREPARE). */
  params: number;
  prepareId: number;
  /** Sequence id of the last packet the client got. */
  clientSeq: number;
  /** Cut (or refused): keep reading the structure, forward nothing more. */
  discard: boolean;
  context: unknown;
  /**
   * Statements of the string answered so far: each OK, result set or ERR is one statement's
   * answer (MySQL docs, "Multi-Resultset"), so a result binds to the statement that produced it.
   */
  statement: number;
  /** Rows sent over every result set of this response. */
  totalRows: number;
  /** performance.now() when the command was sent; 0 once its end was reported. */
  startedAt: number;
  /** SQLSTATE of the error that ended it. */
  sqlState: string | undefined;
}

export function expectResponse(kind: ResponseKind, lastSeq: number, entry: PreparedEntry | undefined): Expect {
  return {
    kind,
    phase: 'first',
    format: 'text',
    limit: Infinity,
    rowsBefore: 0,
    columnCount: 0,
    columns: [],
    rows: 0,
    entry,
    cursor: false,
    params: 0,
    prepareId: 0,
    clientSeq: lastSeq,
    discard: false,
    context: entry?.context,
    statement: 0,
    totalRows: 0,
    startedAt: performance.now(),
    sqlState: undefined,
  };
}

/** The last result's column definitions, raw and read: a repeated result shape skips the decoding and keeps its identity. */
export class ColumnShapeCache {
  private raw: Buffer[] = [];
  private last: ColumnDefinition[] = [];

  /** The definition at `index` of the result being read. */
  definition(buf: Buffer, start: number, end: number, index: number): ColumnDefinition {
    const raw = this.raw[index];
    if (raw && raw.length === end - start && buf.compare(raw, 0, raw.length, start, end) === 0) return this.last[index]!;
    const def = readColumnDefinition(buf, start, end);
    this.raw[index] = Buffer.from(buf.subarray(start, end));
    return def;
  }

  /** The previous result's array when every column is the same (hooks can cache by identity). */
  shape(columns: ColumnDefinition[]): ColumnDefinition[] {
    const last = this.last;
    if (last.length === columns.length && columns.every((c, i) => c === last[i])) return last;
    this.last = columns;
    this.raw.length = columns.length;
    return columns;
  }
}
