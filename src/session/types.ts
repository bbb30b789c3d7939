// The protocol-agnostic vocabulary of a session: who, what statement, which columns, what decision.
import type { VerifiedIdentity } from '../identity/types.js';
import type { WireProtocol } from '../policy/config/types.js';
import type { StatementInfo } from '../sql/analysis.js';

export interface ClientInfo {
  protocol: WireProtocol;
  listener: string;
  address: string;
  port: number;
  tls: boolean;
  /** The user name the client put in its startup message (not the identity: the token is). */
  startupUser: string;
  database: string;
  applicationName?: string;
  /** Trace ids the client sent (startup options or connection attributes), e.g. traceparent. */
  traceIds: Record<string, string>;
  /** PostgreSQL: the search_path the client chose at startup (else the server default applies). */
  searchPath?: string[];
}

export interface SessionInfo {
  id: string;
  identity: VerifiedIdentity;
  client: ClientInfo;
  upstream: string;
  startedAt: Date;
}

export interface StatementRequest {
  sql: string;
  /** simple: one query string; prepare: a statement prepared for later execution; function-call: a call outside SQL. */
  via: 'simple' | 'prepare' | 'function-call';
  /** Prepared statement name, when the protocol gives one. */
  name: string;
}

export type StatementDecision =
  | {
      action: 'allow';
      /** Export limit: at most this many result rows reach the client; the rest is cut. */
      maxRows?: number;
      /** The analysed statements of the string, in order: masking traces result columns through them. */
      statements?: readonly StatementInfo[];
      /** The string's normalised shape (literals as `?`, comments and case folded), when it was analysed. */
      shape?: string;
      /** Rules in observe mode that would have refused or held it (audited, not applied). */
      observed?: readonly { rule: string; action: 'deny' | 'approve'; message: string }[];
    }
  | {
      action: 'deny';
      /** SQLSTATE; the MySQL adapter maps it to an error number. */
      sqlState: string;
      /** What happened, for an agent to read. */
      message: string;
      /** What would be allowed instead. */
      hint?: string;
      /** The rule that decided. */
      rule?: string;
      /** The string's normalised shape, when it was analysed. */
      shape?: string;
      /** The analysed statements of the refused string (for the audit and metrics: what was refused). */
      statements?: readonly StatementInfo[];
    };

/** Where a result column comes from, as far as the protocol says. */
export type ColumnOrigin =
  | { protocol: 'postgres'; tableOid: number; columnAttr: number }
  | { protocol: 'mysql'; schema: string; table: string; column: string };

export interface ResultColumn {
  name: string;
  origin: ColumnOrigin | undefined;
  typeId: number;
  /** 'text' or 'binary' encoding of the values on the wire. */
  format: 'text' | 'binary';
  /** MySQL: the column's character set id (63 is binary), which decides whether its bytes are text. */
  charset?: number;
}

/** Changes cell values of rows of one result set; built once per result set, reused for every row. */
export interface RowTransform {
  /** Indexes of the columns it changes. */
  readonly columns: readonly number[];
  /**
   * New value (null for SQL NULL) of a non-NULL cell of a changed column, given as bytes
   * [start, end) of `buf` (a view the relay does not copy; NULL cells stay NULL without a call).
   * The result may be a buffer the transform reuses: the relay copies it out before the next call.
   */
  apply(column: number, buf: Buffer, start: number, end: number): Buffer | null;
}

export const ALLOW: StatementDecision = Object.freeze({ action: 'allow' });

/** A refusal the session sends as an ordinary error. */
export type Denial = Extract<StatementDecision, { action: 'deny' }>;

export type Allowed = Extract<StatementDecision, { action: 'allow' }>;

/**
 * An allowed statement as the session hands it to the protocol code, which gives it back with
 * the statement's result columns and when each run of it ends (a prepared statement runs once
 * per execution), so the run is audited with its outcome.
 */
export interface StatementContext {
  readonly request: StatementRequest;
  readonly decision: Allowed;
}

/** How one run of an allowed statement ended, as the protocol code reports it. */
export interface RunOutcome {
  /** Result rows sent to the client (all result sets of the run). */
  rows: number;
  /** performance.now() when the request reached the gateway. */
  startedAt: number;
  /** The error's SQLSTATE, when the run ended in one. */
  sqlState: string | undefined;
  /** An execution of a prepared statement. */
  execute: boolean;
  /** Rows of an open cursor the client fetched (MySQL COM_STMT_FETCH), reported per fetch. */
  fetch?: boolean;
  /** The session ended before the run did. */
  interrupted: boolean;
}

/** How one run of an allowed statement ended, as its audit event says. */
export interface StatementRun {
  /** Result rows sent to the client (all result sets of the run). */
  rows: number;
  durationMs: number;
  /** The error's SQLSTATE, when the run ended in one (the server's, or the gateway's cut). */
  sqlState?: string;
  /** An execution of a prepared statement (else the run of the statement string itself). */
  execute?: boolean;
  /** A fetch of rows from a prepared statement's open cursor. */
  fetch?: boolean;
  /** The session ended before the run did: its outcome is unknown. */
  interrupted?: boolean;
  /** What masking did in the run's result sets, in order: per masked column its strategy, rule and cells. */
  masked?: readonly unknown[];
  /** Columns a privileged role saw unmasked although a rule names them. */
  privileged?: readonly unknown[];
}
