// The MySQL relay's hooks, fed to the session pipeline: statements to the gate (with the
// gateway's own rules for KILL and LOAD DATA LOCAL), result columns to the row transform, rows
// rewritten through it, and limits turned into ERR packets.
import { ErrorCode } from '../../protocols/mysql/constants.js';
import type { ColumnDefinition } from '../../protocols/mysql/column-definition.js';
import type { ErrPacket } from '../../protocols/mysql/generic-packets.js';
import type { MysqlRelayHooks, MysqlResultRefusal, MysqlRowRewriter, MysqlVerdict } from '../../protocols/mysql/relay.js';
import type { MysqlRequestOutcome } from '../../protocols/mysql/relay-hooks.js';
import { rewriteBinaryRow, rewriteTextRow } from '../../protocols/mysql/rows.js';
import type { SessionPipeline } from '../session/pipeline.js';
import type { ResultColumn, StatementContext, StatementDecision, StatementRequest } from '../session/types.js';
import { denialErr } from './mysql-errors.js';
import { isLoadLocal, parseKill, type MysqlSessionRegistry } from './mysql-sessions.js';

export interface ConnectionActions {
  killQuery(): Promise<void>;
  idle(): void;
  quit(): void;
}

export class MysqlRelayAdapter implements MysqlRelayHooks {
  /** The last column layout and its conversion: a repeated result shape skips the work. */
  private lastDefs: ColumnDefinition[] | undefined;
  private lastColumns: ResultColumn[] = [];

  constructor(
    private readonly pipeline: SessionPipeline,
    private readonly sessions: MysqlSessionRegistry,
    private readonly actions: ConnectionActions,
  ) {}

  statement(sql: string, via: 'query' | 'prepare' | 'init-db' | 'field-list'): MysqlVerdict | Promise<MysqlVerdict> {
    if (isLoadLocal(sql)) {
      return refused({ errno: ErrorCode.NOT_ALLOWED_COMMAND, sqlState: '42000', message: 'sqlveil: LOAD DATA LOCAL INFILE is not allowed through the gateway (the client would send one of its files): load the file on the database server instead' });
    }
    const req: StatementRequest = { sql, via: via === 'prepare' ? 'prepare' : 'simple', name: '' };
    const d = this.pipeline.statement(req);
    if (d instanceof Promise) return d.then((x) => this.verdict(req, via, x));
    return this.verdict(req, via, d);
  }

  /** An allowed statement carries its StatementContext through the relay, to be audited when each run ends. */
  private verdict(req: StatementRequest, via: string, d: StatementDecision): MysqlVerdict {
    if (d.action === 'deny') return { allow: false, error: denialErr(d) };
    const sql = req.sql;
    const kill = parseKill(sql);
    // A prepared KILL would run later, past the routing below: only a plain query may KILL.
    if (kill === 'refused' || (kill && via !== 'query')) {
      return refused({ errno: ErrorCode.NOT_SUPPORTED_YET, sqlState: '0A000', message: 'sqlveil: KILL must be sent alone, as KILL [QUERY|CONNECTION] <connection id> with an id the gateway gave (KILL USER and KILL QUERY ID are refused)' });
    }
    if (kill) {
      const target = this.sessions.get(kill.id);
      const thread = target?.upstreamThreadId();
      if (!target || thread === undefined) return refused({ errno: ErrorCode.NO_SUCH_THREAD, sqlState: 'HY000', message: `Unknown thread id: ${kill.id}` });
      if (target.subject() !== this.pipeline.session.identity.subject) return refused({ errno: ErrorCode.KILL_DENIED, sqlState: 'HY000', message: `You are not owner of thread ${kill.id}` });
      return { allow: true, replaceSql: `KILL ${kill.modifier}${kill.scope} ${thread}`, context: this.pipeline.context(req, d) };
    }
    return { allow: true, maxRows: d.maxRows, context: this.pipeline.context(req, d) };
  }

  requestEnd(context: unknown, outcome: MysqlRequestOutcome): void {
    this.pipeline.statementEnd(context as StatementContext, outcome);
  }

  columns(defs: ColumnDefinition[], format: 'text' | 'binary', context: unknown, index: number): MysqlRowRewriter | MysqlResultRefusal | undefined {
    const columns = this.columnsOf(defs, format);
    const transform = this.pipeline.resultColumns(columns, (context as StatementContext | undefined)?.decision.statements?.[index]);
    if (!transform) return undefined;
    if ('action' in transform) return { refuse: denialErr(transform) };
    if (transform.columns.length === 0) return undefined;
    const changed = [...transform.columns].sort((a, b) => a - b);
    const apply = (c: number, v: Buffer | null) => (v === null ? null : transform.apply(c, v, 0, v.length));
    if (format === 'text') {
      const n = defs.length;
      return { rewrite: (buf, start, end) => rewriteTextRow(buf, start, end, n, changed, apply) };
    }
    const types = defs.map((d) => d.type);
    return { rewrite: (buf, start, end) => rewriteBinaryRow(buf, start, end, types, changed, apply) };
  }

  private columnsOf(defs: ColumnDefinition[], format: 'text' | 'binary'): ResultColumn[] {
    if (defs === this.lastDefs && this.lastColumns[0]?.format === format) return this.lastColumns;
    this.lastDefs = defs;
    this.lastColumns = defs.map((d) => ({
      name: d.name,
      origin: d.orgTable !== '' && d.orgName !== '' ? { protocol: 'mysql', schema: d.schema, table: d.orgTable, column: d.orgName } : undefined,
      typeId: d.type,
      charset: d.charset,
      format,
    }));
    return this.lastColumns;
  }

  resultEnd(rows: number): void {
    this.pipeline.resultEnd(rows);
  }

  serverError(err: ErrPacket): ErrPacket | undefined {
    const mask = this.pipeline.messageMasker();
    if (!mask) return undefined;
    const message = mask(err.message);
    return message === err.message ? undefined : { ...err, message };
  }

  idle(): void {
    this.actions.idle();
  }

  rowLimitExceeded(limit: number): ErrPacket {
    return denialErr(this.pipeline.rowLimitExceeded(limit));
  }

  killQuery(): Promise<void> {
    return this.actions.killQuery();
  }

  quit(): void {
    this.actions.quit();
  }
}

function refused(error: ErrPacket): MysqlVerdict {
  return { allow: false, error };
}
