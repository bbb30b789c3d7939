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
  admit?(session: SessionInfo, statements: readonly StatementInfo[] | undefined): Denial | Promise<undefined> | undefined;
  /** Whether the role's error and notice texts are masked too (a database error can quote a value). */
  masksRole?(role: string): boolean;
  maskMessage?(text: string): string;
}

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

  statement(req: StatementRequest): StatementDecision | Promise<StatementDecision> {
    this.statements++;
    // Fail closed: what cannot be audited does not run (audit.onFailure: block).
    if (!this.parts.audit.writable()) return this.record(req, AUDIT_UNAVAILABLE);
    const decision = this.parts.gate.decide(this.session, req);
    if (decision instanceof Promise) return decision.then((d) => this.admitted(req, d));
    return this.admitted(req, decision);
  }

  /** What the gate allowed, masking may still refuse (or hold while the catalog is read). */
  private admitted(req: StatementRequest, decision: StatementDecision): StatementDecision | Promise<StatementDecision> {
    const admit = decision.action === 'allow' ? this.parts.results.admit?.(this.session, decision.statements) : undefined;
    if (admit === undefined) return this.record(req, decision);
    if (admit instanceof Promise) return admit.then(() => this.record(req, decision));
    return this.record(req, admit);
  }

  /** Masks the free text of a server error or notice, for a role subject to masking; undefined for others. */
  messageMasker(): ((text: string) => string) | undefined {
    const results = this.parts.results;
    if (!results.maskMessage || !results.masksRole?.(this.session.identity.role)) return undefined;
    return (text) => results.maskMessage!(text);
  }

  /** A refusal is audited now; an allowed statement when each of its runs ends (statementEnd). */
  private record(req: StatementRequest, decision: StatementDecision): StatementDecision {
    this.statementCell(decision).value++;
    if (decision.action === 'allow') return decision;
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
    const transform = this.parts.results.transformFor(this.session, columns, statement);
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
