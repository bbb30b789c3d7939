// What the MySQL relay asks of the session (src/server adapts these to the pipeline): decisions
// on statements, row rewriters per result set, limits, and a way to stop a running statement.
import type { ColumnDefinition } from './column-definition.js';
import type { ErrPacket } from './generic-packets.js';

/** A statement may run (with at most `maxRows` rows reaching the client, and possibly as other SQL), or is refused. */
export type MysqlVerdict =
  | {
      allow: true;
      maxRows?: number;
      /** Run this SQL upstream instead of the client's (a KILL naming a gateway connection id). */
      replaceSql?: string;
      /** What the decision knew of the statement; handed back with each of its result sets. */
      context?: unknown;
    }
  | { allow: false; error: ErrPacket };

/** A result set whose rows may not be sent: the client gets this error in their place. */
export interface MysqlResultRefusal {
  refuse: ErrPacket;
}

/** Rewrites rows of one result set: gets a row payload, returns a new payload or undefined to keep it. */
export interface MysqlRowRewriter {
  rewrite(buf: Buffer, start: number, end: number): Buffer | undefined;
}

/** How a statement's run ended: COM_QUERY (with every result set), COM_INIT_DB, COM_FIELD_LIST or one COM_STMT_EXECUTE. */
export interface MysqlRequestOutcome {
  rows: number;
  /** performance.now() when the command was sent upstream. */
  startedAt: number;
  /** SQLSTATE of the ERR that ended it (the server's or the gateway's). */
  sqlState: string | undefined;
  execute: boolean;
  /** Rows of an open cursor the client fetched (COM_STMT_FETCH): reported per fetch. */
  fetch?: boolean;
  /** The relay stopped (the session ended) before the run did. */
  interrupted: boolean;
}

export interface MysqlRelayHooks {
  /**
   * A statement the client wants run: COM_QUERY text, a COM_STMT_PREPARE, or the statement
   * standing for COM_INIT_DB (`USE`) or COM_FIELD_LIST (`SHOW COLUMNS`). May answer later.
   */
  statement(sql: string, via: 'query' | 'prepare' | 'init-db' | 'field-list'): MysqlVerdict | Promise<MysqlVerdict>;
  /**
   * Columns of a result set about to stream, with the verdict's context and the result's index
   * in the response; returns a row rewriter, a refusal, or undefined to pass rows as they are.
   */
  columns(columns: ColumnDefinition[], format: 'text' | 'binary', context: unknown, index: number): MysqlRowRewriter | MysqlResultRefusal | undefined;
  /**
   * Rewrites an ERR the server sent (a database error can quote a value back); `context` is the
   * verdict context of the command it answers (undefined when none); undefined keeps it.
   */
  serverError?(err: ErrPacket, context: unknown): ErrPacket | undefined;
  /** The server answered statement `index` of the string with OK: it ran (a USE switched database). */
  statementOk?(context: unknown, index: number): void;
  /**
   * The relay itself refused a command or a server request (COM_CHANGE_USER, COM_PROCESS_KILL, an
   * unknown command, a LOCAL INFILE request): the session audits and counts it like any denial.
   * `what` names it as a statement; `context` is the run it interrupted, if any.
   */
  refused?(what: string, err: ErrPacket, context: unknown): void;
  /** End of a result set, with the rows it carried to the client. */
  resultEnd(rows: number): void;
  /** A response is complete: the client may send its next command. */
  idle(): void;
  /** A run ended; `context` is the statement's verdict context (for an EXECUTE, its PREPARE's). */
  requestEnd(context: unknown, outcome: MysqlRequestOutcome): void;
  /** The error a client gets when a result is cut at its row limit. */
  rowLimitExceeded(limit: number): ErrPacket;
  /** Stops the statement running upstream (KILL QUERY on a side connection). */
  killQuery(): Promise<void>;
  /** The client sent COM_QUIT. */
  quit(): void;
}

export interface MysqlRelayOptions {
  maxClientPayload: number;
  maxServerPayload: number;
  /** CLIENT_DEPRECATE_EOF is in force on both sides. */
  deprecateEof: boolean;
}
