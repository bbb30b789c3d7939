// What the gateway knows about a statement string once it has been parsed: the contract
// between the dialect parsers (src/sql) and the decisions made on it (src/policy, masking).

export type Dialect = 'postgres' | 'mysql';

/**
 * A statement's kind by its most consequential effect: a `WITH ... DELETE` is a delete, an
 * `EXPLAIN ANALYZE UPDATE` an update, a `SELECT ... INTO t` a create-table.
 */
export type StatementKind =
  | 'select' // reads only
  | 'insert'
  | 'update'
  | 'delete'
  | 'merge'
  | 'copy-out' // COPY ... TO STDOUT / SELECT INTO OUTFILE style exports
  | 'copy-in' // COPY ... FROM STDIN / LOAD DATA
  | 'ddl' // CREATE / ALTER / DROP / COMMENT / ...
  | 'truncate'
  | 'dcl' // GRANT / REVOKE / CREATE ROLE / ALTER ROLE / ...
  | 'transaction' // BEGIN / COMMIT / ROLLBACK / SAVEPOINT / SET TRANSACTION
  | 'session' // SET / RESET / SHOW / USE / DISCARD / PREPARE / DEALLOCATE ...
  | 'notify' // LISTEN / NOTIFY / UNLISTEN: messages between sessions, outside any result set
  | 'explain' // EXPLAIN without ANALYZE of a read
  | 'procedural' // DO blocks, CALL, CREATE FUNCTION bodies: code the gateway cannot check
  | 'admin' // VACUUM, ANALYZE, CHECKPOINT, LOCK, REINDEX, CLUSTER, KILL, ...
  | 'other';

/** Risk flags: facts about a statement that rules may block on. */
export type RiskFlag =
  | 'update-without-where'
  | 'delete-without-where'
  | 'copy-program' // COPY ... PROGRAM: runs a shell command on the database host
  | 'server-file-access' // COPY to/from a server file, pg_read_file, lo_import, INTO OUTFILE, LOAD_FILE, LOAD DATA
  | 'network-access' // dblink, postgres_fdw connections, ...
  | 'data-modifying-cte' // WITH ... INSERT/UPDATE/DELETE
  | 'explain-analyze' // executes the statement it explains
  | 'dynamic-sql' // EXECUTE of a prepared statement or string the gateway did not see parsed
  | 'system-catalog-write'
  | 'locking-read' // SELECT ... FOR UPDATE/SHARE
  | 'multi-statement';

/** A table, schema-qualified as far as the statement or the session's search path says. */
export interface TableRef {
  /** Schema (PostgreSQL) or database (MySQL); undefined when unqualified and unresolved. */
  schema?: string;
  name: string;
}

/** Where an output column's values come from. */
export interface ColumnLineage {
  /** Output column name as the client will see it. */
  name: string;
  /** Source columns the values derive from (through functions, casts, aggregates, ...). */
  sources: { table: TableRef; column: string }[];
  /** True when the gateway could not trace every source (fail closed: treat as unknown). */
  opaque: boolean;
}

export interface StatementInfo {
  kind: StatementKind;
  /** Top-level command tag-ish name, for messages and audit: `SELECT`, `COPY`, `CREATE TABLE`. */
  command: string;
  tablesRead: TableRef[];
  tablesWritten: TableRef[];
  /**
   * Functions called anywhere in the statement, schema-qualified when written so: MySQL's
   * lower-case, PostgreSQL's as the server reads them (folded to lower case unless quoted).
   */
  functions: string[];
  flags: RiskFlag[];
  /** LIMIT / FETCH FIRST of the outermost query; undefined when absent or not a constant. */
  limit?: number;
  /** Output columns of a row-returning statement, in order; undefined when not row-returning. */
  columns?: ColumnLineage[];
  /** For session-changing statements: the new search_path / current database, when set. */
  setsSearchPath?: string[];
  setsDatabase?: string;
  /**
   * Server settings the statement changes (SET, SET LOCAL, RESET x, set_config(...), MySQL SET
   * [@@]x / SET NAMES as `names` / SET CHARACTER SET as `charset`), lower-case; `*` for a setting
   * whose name is not a constant. RESET ALL / DISCARD ALL go back to the login values: not listed.
   */
  settings?: string[];
}

export type StatementAnalysis =
  | {
      ok: true;
      dialect: Dialect;
      /** Normalised shape of the whole string: literals, comments, whitespace and identifier case folded. */
      fingerprint: string;
      statements: readonly StatementInfo[];
    }
  | {
      ok: false;
      dialect: Dialect;
      fingerprint: string;
      /** Parser's message, safe to show (no literal values beyond what the client sent). */
      error: string;
    };

/** Parses and analyses statement strings of one dialect; implementations cache by fingerprint. */
export interface StatementAnalyzer {
  analyze(sql: string, context: { searchPath: readonly string[]; database?: string }): StatementAnalysis;
}

/**
 * Freezes analysed statements, deeply: the analyzers hand the same objects to every caller of a
 * repeated statement shape, so none may change what the next one reads.
 */
export function freezeStatements(infos: StatementInfo[]): StatementInfo[] {
  const freeze = (value: unknown): void => {
    if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
    Object.freeze(value);
    for (const member of Object.values(value)) freeze(member);
  };
  freeze(infos);
  return infos;
}
