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
import type { Denial, ResultColumn, StatementContext, StatementDecision, StatementRequest } from '../session/types.js';
import { withheldServerText } from '../session/server-text.js';
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
  /** Allowed KILLs and the statement that runs upstream instead (the gateway connection id mapped to the thread). */
  private readonly killRoutes = new WeakMap<object, string>();

  constructor(
    private readonly pipeline: SessionPipeline,
    private readonly sessions: MysqlSessionRegistry,
    private readonly actions: ConnectionActions,
  ) {}

  statement(sql: string, via: 'query' | 'prepare' | 'init-db' | 'field-list'): MysqlVerdict | Promise<MysqlVerdict> {
    const req: StatementRequest = { sql, via: via === 'prepare' ? 'prepare' : 'simple', name: '' };
    if (isLoadLocal(sql)) {
      // Refused before the gate, audited and counted like any denial.
      return this.refusal(this.pipeline.refused(req, {
        action: 'deny',
        sqlState: '42000',
        rule: 'load-data-local',
        message: 'sqlveil: LOAD DATA LOCAL INFILE is not allowed through the gateway (the client would send one of its files)',
        hint: 'load the file on the database server instead',
      }), 'load-data-local');
    }
    const d = this.pipeline.statement(req, (allowed) => this.killCheck(sql, via, allowed));
    if (d instanceof Promise) return d.then((x) => this.verdict(req, x));
    return this.verdict(req, d);
  }

  /** The gateway's own KILL routing, after the gate allowed it: a refusal here is audited as a denial. */
  private killCheck(sql: string, via: string, d: Extract<StatementDecision, { action: 'allow' }>): Denial | undefined {
    const kill = parseKill(sql);
    if (!kill) return undefined;
    // A prepared KILL would run later, past the routing below: only a plain query may KILL.
    if (kill === 'refused' || via !== 'query') {
      return killDenial('0A000', ErrorCode.NOT_SUPPORTED_YET, 'sqlveil: KILL must be sent alone, as KILL [QUERY|CONNECTION] <connection id> with an id the gateway gave (KILL USER and KILL QUERY ID are refused)');
    }
    const target = this.sessions.get(kill.id);
    const thread = target?.upstreamThreadId();
    if (!target || thread === undefined) return killDenial('HY000', ErrorCode.NO_SUCH_THREAD, `Unknown thread id: ${kill.id}`);
    if (target.subject() !== this.pipeline.session.identity.subject) return killDenial('HY000', ErrorCode.KILL_DENIED, `You are not owner of thread ${kill.id}`);
    this.killRoutes.set(d, `KILL ${kill.modifier}${kill.scope} ${thread}`);
    return undefined;
  }

  /** An allowed statement carries its StatementContext through the relay, to be audited when each run ends. */
  private verdict(req: StatementRequest, d: StatementDecision): MysqlVerdict {
    if (d.action === 'deny') return this.refusal(d, d.rule);
    const kill = this.killRoutes.get(d);
    if (kill !== undefined) {
      this.killRoutes.delete(d);
      return { allow: true, replaceSql: kill, context: this.pipeline.context(req, d) };
    }
    return { allow: true, maxRows: d.maxRows, context: this.pipeline.context(req, d) };
  }

  /** A denial as an ERR; the gateway's KILL refusals keep the server's own error numbers. */
  private refusal(d: Denial, rule: string | undefined): MysqlVerdict {
    const errno = rule === KILL_RULE ? KILL_ERRNO.get(d) : undefined;
    return { allow: false, error: errno === undefined ? denialErr(d) : { errno, sqlState: d.sqlState, message: d.message } };
  }

  refused(what: string, err: ErrPacket, context: unknown): void {
    const request = (context as StatementContext | undefined)?.request;
    const req: StatementRequest = request ?? { sql: what, via: 'simple', name: '' };
    this.pipeline.refused(req, { action: 'deny', sqlState: err.sqlState, rule: 'protocol', message: err.message });
  }

  statementOk(context: unknown, index: number): void {
    this.pipeline.statementRan(context as StatementContext, index);
  }

  requestEnd(context: unknown, outcome: MysqlRequestOutcome): void {
    this.pipeline.statementEnd(context as StatementContext, outcome);
  }

  columns(defs: ColumnDefinition[], format: 'text' | 'binary', context: unknown, index: number): MysqlRowRewriter | MysqlResultRefusal | undefined {
    const columns = this.columnsOf(defs, format);
    const statements = (context as StatementContext | undefined)?.decision.statements;
    const statement = statements?.[index];
    // More answers than statements, or answers after a CALL (its result sets and OK count as
    // answers too): the result's statement is not known.
    if (statements !== undefined && (statement === undefined || statements.slice(0, index).some((s) => s.kind === 'procedural'))) {
      const refusal = this.pipeline.unattributedResult();
      if (refusal) return { refuse: denialErr(refusal) };
    }
    const transform = this.pipeline.resultColumns(columns, statement);
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

  serverError(err: ErrPacket, context: unknown): ErrPacket | undefined {
    const policy = this.pipeline.serverText(context as StatementContext | undefined);
    if (!policy) return undefined;
    if (policy.withhold) return { ...err, message: withheldServerText(`SQLSTATE ${err.sqlState}, error ${err.errno}`) };
    const message = policy.mask(err.message);
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

const KILL_RULE = 'kill';
/** The server's error number of each KILL refusal (clients know them), by denial. */
const KILL_ERRNO = new WeakMap<Denial, number>();

function killDenial(sqlState: string, errno: number, message: string): Denial {
  const d: Denial = { action: 'deny', sqlState, rule: KILL_RULE, message };
  KILL_ERRNO.set(d, errno);
  return d;
}
