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
  | 'multi-statement'
  | 'variable-assignment' // MySQL: a variable set (SET @v or a system variable, @v := ..., SELECT ... INTO @v)
  | 'variable-read' // MySQL: a user variable read (@v): its value has no lineage
  | 'handler'; // MySQL HANDLER: table rows read outside SELECT

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

/**
 * Where a statement reads a column other than as an output value: each such use can confirm a
 * value the result masks (`WHERE ssn = '...'`, `ORDER BY ssn`, `GROUP BY ssn`, ...).
 */
export type FilterClause =
  | 'where'
  | 'join'
  | 'group-by'
  | 'having'
  | 'order-by'
  | 'window'
  | 'aggregate'
  | 'distinct'
  | 'set-operation'
  | 'limit'
  // CASE WHEN x ... / CASE x WHEN ...: the condition picks the value returned (and can raise an error on purpose).
  | 'condition'
  // A set-returning function's arguments: the number of rows it returns tells of them (regexp_matches, generate_series).
  | 'set-returning'
  // MySQL `SELECT @v := x`, `SELECT x INTO @v`, `SET @v = x`: a later `SELECT @v` reads no table.
  | 'variable';

/** A table column a statement uses outside its output (`*`: every column of the table). */
export interface FilterColumn {
  table: TableRef;
  column: string;
  clause: FilterClause;
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
  /**
   * Table columns used outside the output (WHERE, JOIN, GROUP BY, HAVING, ORDER BY, windows,
   * aggregate arguments, DISTINCT, set-operation comparisons, LIMIT, MySQL user-variable
   * assignments), in subqueries too, through
   * aliases, CTEs and derived tables; a view's own WHERE is not listed. Undefined: not analysed.
   */
  filterColumns?: FilterColumn[];
  /** For session-changing statements: the new search_path / current database, when set. */
  setsSearchPath?: string[];
  setsDatabase?: string;
  /**
   * Server settings the statement changes (SET, SET LOCAL, RESET x, set_config(...), MySQL SET
   * [@@]x / SET NAMES as `names` / SET CHARACTER SET as `charset`), lower-case; `*` for a setting
   * whose name is not a constant. RESET ALL / DISCARD ALL go back to the login values: not listed.
   */
  settings?: string[];
  /** A server-side object the statement creates, reads or drops by name (PostgreSQL prepared statements and cursors). */
  sessionObject?: SessionObjectEffect;
}

/**
 * What a statement does to the session's named server-side objects. Results and later binds are
 * matched to these by the server's confirmation, so the gateway must know which names change.
 * `name` undefined means every object of that sort (DEALLOCATE ALL, CLOSE ALL, DISCARD ALL).
 */
export interface SessionObjectEffect {
  object: 'prepared-statement' | 'cursor' | 'all';
  action: 'create' | 'read' | 'drop';
  name?: string;
  /** A cursor declared WITH HOLD outlives its transaction. */
  hold?: boolean;
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
