// The per-session pipeline every protocol feeds: statements are decided here, result columns
// get their row transform here, and every step is counted and audited. Policy (statement
// rules) and masking plug in as a StatementGate and a ResultTransformer.
import { AUDIT_UNAVAILABLE_MESSAGE, type AuditSink } from '../audit/sink.js';
import { sessionEndEvent, sessionStartEvent, statementCutEvent, statementEvent, StatementEventText, who } from '../audit/session-events.js';
import type { SqlRedactor } from '../audit/statement-text.js';
import type { Cell, GatewayMetrics, ProtocolCells } from '../admin/metrics.js';
import type { StatementInfo } from '../sql/analysis.js';
import { ALLOW, type Allowed, type Denial, type ResultColumn, type RowTransform, type SessionInfo, type StatementContext, type StatementDecision, type RunOutcome, type StatementRequest, type StatementRun } from './types.js';

/** Decides statements. The default allows everything; the statement-policy module replaces it. */
export interface StatementGate {
  decide(session: SessionInfo, statement: StatementRequest): StatementDecision | Promise<StatementDecision>;
  /** The server confirmed that an allowed statement ran (MySQL: its OK): session state it sets (USE) takes effect now. */
  confirmed?(session: SessionInfo, statement: StatementInfo): void;
  /** Settings the client asked for at login (PostgreSQL startup parameters): a refusal, or undefined. */
  startupSettings?(role: string, settings: readonly string[]): Denial | undefined;
}

/**
 * Chooses the row transform for a result set, knowing the analysed statement that produced it
 * when there is one; a denial withholds the result's rows. The default changes nothing;
 * masking replaces it.
 */
export interface ResultTransformer {
  transformFor(session: SessionInfo, columns: readonly ResultColumn[] | undefined, statement: StatementInfo | undefined): RowTransform | Denial | undefined;
  /** At statement time, after the gate allowed it: a refusal, or a wait (catalog refresh) before it runs. */
  admit?(session: SessionInfo, statements: readonly StatementInfo[] | undefined): Denial | Promise<Denial | undefined> | undefined;
  /** Whether the role's error and notice texts are masked too (a database error can quote a value). */
  masksRole?(role: string): boolean;
  maskMessage?(text: string): string;
  /** Whether statements (undefined: unknown) may read values the role's rules protect: then server texts are withheld. */
  readsProtected?(session: SessionInfo, statements: readonly StatementInfo[] | undefined): boolean;
  /** The transform of a diagnostics result (SHOW WARNINGS / SHOW ERRORS) whose texts are withheld; undefined when it is not one. */
  withheldDiagnostics?(columns: readonly ResultColumn[], statement: StatementInfo | undefined): RowTransform | undefined;
}

/** How the free text of a server error, notice or warning reaches the client. */
export type ServerTextPolicy =
  /** Replaced by a fixed text naming the SQLSTATE: the statement read protected values, any encoding of them could be quoted. */
  | { withhold: true }
  /** Passed through the content detectors. */
  | { withhold: false; mask: (text: string) => string };

/** A row transform that reports, once its result has ended, what it masked (counts, never values). */
interface ReportingTransform extends RowTransform {
  maskedCounts(): unknown[];
  readonly privileged: readonly unknown[];
}

const isReporting = (t: RowTransform): t is ReportingTransform => 'maskedCounts' in t;

const AUDIT_UNAVAILABLE: Denial = {
  action: 'deny',
  sqlState: '58000',
  rule: 'audit',
  message: AUDIT_UNAVAILABLE_MESSAGE,
  hint: 'retry later; the gateway operator must restore the audit trail (Kafka or the local spool)',
};

export const allowAllGate: StatementGate = { decide: () => ALLOW };
export const passThroughResults: ResultTransformer = { transformFor: () => undefined };

export interface PipelineParts {
  gate: StatementGate;
  results: ResultTransformer;
  audit: AuditSink;
  metrics: GatewayMetrics;
  /** How audited SQL text loses its literals (default: the built-in redaction); false keeps them. */
  redact?: SqlRedactor | false;
}

/** The metric labels of a decision (its first statement's kind); no closure per statement. */
function statementLabels(decision: StatementDecision): { decision: 'allow' | 'deny'; kind: string } {
  const statements = decision.statements;
  const kind = statements === undefined || statements.length === 0 ? 'unknown' : statements.length > 1 ? 'multiple' : statements[0]!.kind;
  return { decision: decision.action, kind };
}

export class SessionPipeline {
  private statements = 0;
  /** Statement events written: refusals and runs. */
  private audited = 0;
  private rows = 0;
  private ended = false;
  private readonly cells: ProtocolCells;
  /** Who, on every event of the session (computed once). */
  private readonly who: ReturnType<typeof who>;
  private readonly eventText: StatementEventText;
  /** What masking did in the results of the run under way: reported with the run's statement event. */
  private readonly runMasked: unknown[] = [];
  private readonly runPrivileged: unknown[] = [];
  /** The masking transform of the result streaming now, reported at its end. */
  private reporting: ReportingTransform | undefined;
  /**
   * A statement that may read protected values was allowed: the server's diagnostics area (SHOW
   * WARNINGS) can quote them from now on. Sticky: which later statement clears it is the server's call.
   */
  private diagnosticsTainted = false;

  constructor(
    readonly session: SessionInfo,
    private readonly parts: PipelineParts,
  ) {
    this.cells = parts.metrics.forProtocol(session.client.protocol);
    this.who = who(session);
    this.eventText = new StatementEventText(session, this.who, parts.redact);
    this.cells.sessionsTotal.value++;
    this.cells.sessionsActive.value++;
    parts.audit.emit(sessionStartEvent(session));
  }

  /**
   * Decides a statement. `protocolCheck` is the protocol's own last word on an allowed statement
   * (MySQL: KILL routing): its refusal is audited and counted like any denial.
   */
  statement(req: StatementRequest, protocolCheck?: (d: Allowed) => Denial | undefined): StatementDecision | Promise<StatementDecision> {
    this.statements++;
    // Fail closed: what cannot be audited does not run (audit.onFailure: block).
    if (!this.parts.audit.writable()) return this.record(req, AUDIT_UNAVAILABLE);
    const decision = this.parts.gate.decide(this.session, req);
    if (decision instanceof Promise) return decision.then((d) => this.admitted(req, d, protocolCheck));
    return this.admitted(req, decision, protocolCheck);
  }

  /** A refusal the protocol code made without asking the gate (a command or request it never relays): audited and counted. */
  refused(req: StatementRequest, denial: Denial): Denial {
    this.statements++;
    this.record(req, denial);
    return denial;
  }

  /** What the gate allowed, masking may still refuse (or hold while the catalog is read). */
  private admitted(req: StatementRequest, decision: StatementDecision, protocolCheck?: (d: Allowed) => Denial | undefined): StatementDecision | Promise<StatementDecision> {
    const admit = decision.action === 'allow' ? this.parts.results.admit?.(this.session, decision.statements) : undefined;
    const last = (d: StatementDecision): StatementDecision => this.record(req, d.action === 'allow' ? (protocolCheck?.(d) ?? d) : d);
    if (admit === undefined) return last(decision);
    if (admit instanceof Promise) return admit.then((refused) => (refused ? this.record(req, refused) : last(decision)));
    return this.record(req, admit);
  }

  /** Statement `index` of an allowed string ran (the server said OK): its session state takes effect. */
  statementRan(context: StatementContext, index: number): void {
    const statement = context.decision.statements?.[index];
    if (statement) this.parts.gate.confirmed?.(this.session, statement);
  }

  /**
   * How a server error, notice or warning text of the request with this context reaches the
   * client: withheld when the request may have read protected values (or is unknown), masked by
   * the content detectors otherwise; undefined for a role not subject to masking.
   */
  serverText(context: StatementContext | undefined): ServerTextPolicy | undefined {
    const results = this.parts.results;
    if (!results.masksRole?.(this.session.identity.role)) return undefined;
    if (context === undefined || (results.readsProtected?.(this.session, context.decision.statements) ?? true)) return { withhold: true };
    return { withhold: false, mask: (text) => results.maskMessage?.(text) ?? text };
  }

  /**
   * A result the protocol code could not bind to a statement of the string (more answers than
   * statements): a role subject to masking never gets it.
   */
  unattributedResult(): Denial | undefined {
    const role = this.session.identity.role;
    if (!this.parts.results.masksRole?.(role)) return undefined;
    return {
      action: 'deny',
      sqlState: '42501',
      rule: 'masking.resultAttribution',
      message: `sqlveil: a result the gateway cannot bind to one analysed statement of the string is withheld from role ${role}`,
      hint: 'send each statement on its own (no multi-statement strings, no CALL returning result sets)',
    };
  }

  /** A refusal is audited now; an allowed statement when each of its runs ends (statementEnd). */
  private record(req: StatementRequest, decision: StatementDecision): StatementDecision {
    this.statementCell(decision).value++;
    if (decision.action === 'allow') {
      if (!this.diagnosticsTainted && this.parts.results.readsProtected?.(this.session, decision.statements) === true) this.diagnosticsTainted = true;
      return decision;
    }
    this.parts.audit.emit(statementEvent(this.session, ++this.audited, req, decision, this.parts.redact, this.who));
    return decision;
  }

  /** The statements counter for a decision, by decision object: the gate hands repeats of a shape the same one. */
  private statementCell(decision: StatementDecision): Cell {
    return this.parts.metrics.statementFor(this.session.client.protocol, decision, statementLabels);
  }

  /** What the protocol code attaches to an allowed statement and hands back at the end of each run. */
  context(request: StatementRequest, decision: Allowed): StatementContext {
    return { request, decision };
  }

  /** One run of an allowed statement ended: audited with its rows, duration and outcome. */
  statementEnd(context: StatementContext, outcome: RunOutcome): void {
    const durationMs = performance.now() - outcome.startedAt;
    this.cells.duration.observe(durationMs / 1000);
    const run: StatementRun = {
      rows: outcome.rows,
      durationMs,
      sqlState: outcome.sqlState,
      execute: outcome.execute,
      interrupted: outcome.interrupted,
    };
    if (outcome.fetch) run.fetch = true;
    // Results stream in the order of the runs they belong to: what was masked so far is this run's.
    if (this.runMasked.length > 0) run.masked = this.runMasked.splice(0);
    if (this.runPrivileged.length > 0) run.privileged = this.runPrivileged.splice(0);
    const audit = this.parts.audit;
    if (audit.emitMembers) audit.emitMembers('statement', this.session.id, this.eventText.run(++this.audited, context, run));
    else audit.emit(statementEvent(this.session, ++this.audited, context.request, context.decision, this.parts.redact, this.who, run));
  }

  resultColumns(columns: readonly ResultColumn[] | undefined, statement: StatementInfo | undefined): RowTransform | Denial | undefined {
    const results = this.parts.results;
    if (this.diagnosticsTainted && columns && results.masksRole?.(this.session.identity.role)) {
      const withheld = results.withheldDiagnostics?.(columns, statement);
      if (withheld) {
        this.reporting = undefined;
        return withheld;
      }
    }
    const transform = results.transformFor(this.session, columns, statement);
    this.reporting = transform && !('action' in transform) && isReporting(transform) ? transform : undefined;
    return transform;
  }

  /** The error for a result cut at its export limit; audited, since rows were withheld. */
  rowLimitExceeded(limit: number): Denial {
    this.parts.audit.emit(statementCutEvent(this.session, limit));
    return {
      action: 'deny',
      sqlState: '54000',
      rule: 'maxRows',
      message: `sqlveil: result cut at ${limit} rows: the export limit of role ${this.session.identity.role} is ${limit} rows`,
      hint: `add LIMIT ${limit} or less, or aggregate in SQL; larger exports need an approval`,
    };
  }

  resultEnd(rows: number): void {
    this.rows += rows;
    this.cells.rows.value += rows;
    const masked = this.reporting;
    if (!masked) return;
    this.reporting = undefined;
    const counts = masked.maskedCounts();
    for (const c of counts) {
      const { strategy, cells } = c as { strategy?: string; cells?: number };
      if (strategy !== undefined && cells) this.parts.metrics.masked(this.session.client.protocol, strategy).value += cells;
    }
    this.runMasked.push(...counts);
    this.runPrivileged.push(...masked.privileged);
  }

  end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.cells.sessionsActive.value--;
    this.parts.audit.emit(sessionEndEvent(this.session, reason, this.audited, this.rows));
  }
}
