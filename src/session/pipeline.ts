// The per-session pipeline every protocol feeds: statements are decided here, result columns
// get their row transform here, and every step is counted and audited. Policy (statement
// rules) and masking plug in as a StatementGate and a ResultTransformer.
import type { AuditSink } from '../audit/sink.js';
import { isoNow } from '../audit/clock.js';
import type { GatewayMetrics, ProtocolCells } from '../admin/metrics.js';
import { ALLOW, type Denial, type ResultColumn, type RowTransform, type SessionInfo, type StatementDecision, type StatementRequest } from './types.js';

/** Decides statements. The default allows everything; the statement-policy module replaces it. */
export interface StatementGate {
  decide(session: SessionInfo, statement: StatementRequest): StatementDecision | Promise<StatementDecision>;
}

/** Chooses the row transform for a result set. The default changes nothing; masking replaces it. */
export interface ResultTransformer {
  transformFor(session: SessionInfo, columns: readonly ResultColumn[] | undefined): RowTransform | undefined;
}

export const allowAllGate: StatementGate = { decide: () => ALLOW };
export const passThroughResults: ResultTransformer = { transformFor: () => undefined };

export interface PipelineParts {
  gate: StatementGate;
  results: ResultTransformer;
  audit: AuditSink;
  metrics: GatewayMetrics;
}

export class SessionPipeline {
  private statements = 0;
  private rows = 0;
  private ended = false;
  private readonly cells: ProtocolCells;

  constructor(
    readonly session: SessionInfo,
    private readonly parts: PipelineParts,
  ) {
    this.cells = parts.metrics.forProtocol(session.client.protocol);
    this.cells.sessionsTotal.value++;
    this.cells.sessionsActive.value++;
    parts.audit.emit({ type: 'session.start', session: session.id, at: session.startedAt.toISOString(), identity: session.identity, client: session.client, upstream: session.upstream });
  }

  statement(req: StatementRequest): StatementDecision | Promise<StatementDecision> {
    this.statements++;
    const decision = this.parts.gate.decide(this.session, req);
    if (decision instanceof Promise) return decision.then((d) => this.record(req, d));
    return this.record(req, decision);
  }

  private record(req: StatementRequest, decision: StatementDecision): StatementDecision {
    if (decision.action === 'allow') this.cells.allowed.value++;
    else this.cells.denied.value++;
    this.parts.audit.emit({
      type: 'statement',
      session: this.session.id,
      at: isoNow(),
      via: req.via,
      sql: req.sql,
      decision: decision.action,
      ...(decision.action === 'deny' ? { rule: decision.rule, reason: decision.message } : {}),
    });
    return decision;
  }

  resultColumns(columns: readonly ResultColumn[] | undefined): RowTransform | undefined {
    return this.parts.results.transformFor(this.session, columns);
  }

  /** The error for a result cut at its export limit; audited, since rows were withheld. */
  rowLimitExceeded(limit: number): Denial {
    this.parts.audit.emit({ type: 'statement.cut', session: this.session.id, at: isoNow(), limit });
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
  }

  end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.cells.sessionsActive.value--;
    this.parts.audit.emit({ type: 'session.end', session: this.session.id, at: isoNow(), reason, statements: this.statements, rows: this.rows });
  }
}
