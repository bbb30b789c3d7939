// The statement gate built from the rules file: parse (src/sql), decide (src/policy), and turn
// the decision into the session's vocabulary. Observed denials and the analysis summary go to
// the audit trail; the policy in force is read per statement, so a reload applies at once.
// A statement the policy sends to approval goes to the approvals service (src/approvals).
import type { StatementAnalysis, StatementAnalyzer, StatementInfo } from '../sql/analysis.js';
import type { PolicyConfig } from '../policy/config/types.js';
import { decideStartupSettings, decideStatement, type PolicyDecision } from '../policy/decide.js';
import type { WireProtocol } from '../policy/config/types.js';
import type { ApprovalService } from '../approvals/service.js';
import { namedPrepare } from '../approvals/messages.js';
import type { StatementGate } from './pipeline.js';
import type { Denial, SessionInfo, StatementDecision, StatementRequest } from './types.js';

export interface PolicyGateParts {
  analyzers: Partial<Record<WireProtocol, StatementAnalyzer>>;
  /** The policy in force now (hot reload swaps what this returns). */
  policy: () => PolicyConfig | undefined;
  /** Just-in-time approvals; without it a statement that needs approval is refused. */
  approvals?: ApprovalService;
}

/** Per-session state the analysis depends on. */
interface SessionSqlState {
  searchPath: string[];
  database?: string;
}

const DEFAULT_SEARCH_PATH = ['public'];

/** A decision made for an analysis, valid while the policy and role are the ones it was made under. */
interface CachedDecision {
  policy: PolicyConfig | undefined;
  role: string;
  decision: StatementDecision;
}

export class PolicyGate implements StatementGate {
  private readonly sessions = new WeakMap<SessionInfo, SessionSqlState>();
  /**
   * Decisions by analysed statements: the analyzer hands a repeated statement shape the same
   * StatementInfo objects (when no fact depends on a literal), and the decision is a pure
   * function of them, the role and the policy. One entry per analysis (the last role asking).
   */
  private readonly decisions = new WeakMap<readonly StatementInfo[], CachedDecision>();

  constructor(private readonly parts: PolicyGateParts) {}

  decide(session: SessionInfo, req: StatementRequest): StatementDecision | Promise<StatementDecision> {
    const policy = this.parts.policy();
    if (req.via === 'function-call') {
      // A FunctionCall message calls a function by OID, outside SQL: nothing to parse or check.
      if (policy === undefined) return { action: 'allow' };
      return {
        action: 'deny',
        sqlState: '0A000',
        rule: 'function-call',
        message: 'sqlveil: FunctionCall protocol messages are not allowed',
        hint: 'call the function with a SELECT statement',
      };
    }
    const analyzer = this.parts.analyzers[session.client.protocol];
    if (!analyzer) {
      // No `policy` section: every statement is allowed (GatewayConfig.policy), analysed or not.
      if (policy === undefined) return { action: 'allow' };
      return { action: 'deny', sqlState: '0A000', rule: 'analysis', message: `sqlveil: no SQL analyzer for ${session.client.protocol}` };
    }
    const state = this.stateOf(session);
    const analysis = analyzer.analyze(req.sql, { searchPath: state.searchPath, database: state.database });
    const role = session.identity.role;
    const cached = analysis.ok ? this.decisions.get(analysis.statements) : undefined;
    if (cached !== undefined && cached.policy === policy && cached.role === role) {
      if (cached.decision.action === 'allow') this.track(state, analysis);
      return cached.decision;
    }
    const decision = decideStatement(policy, role, analysis);
    const shape = analysis.fingerprint;
    // Approvals depend on the request (its prepared statement name) and ask each time: not cached.
    if (decision.action === 'approve' && this.parts.approvals && analysis.ok) return this.approval(session, req, analysis, decision, state);
    let decided: StatementDecision;
    if (decision.action !== 'allow' || !analysis.ok) {
      decided = { ...toSessionDecision(decision), shape };
      if (decided.action === 'deny' && analysis.ok) decided.statements = analysis.statements;
    }
    else {
      decided = decision.maxRows === undefined
        ? { action: 'allow', statements: analysis.statements, shape }
        : { action: 'allow', maxRows: decision.maxRows, statements: analysis.statements, shape };
      if (decision.observed.length > 0) decided.observed = decision.observed.map((o) => ({ rule: o.rule, action: o.action, message: o.message }));
    }
    if (decided.action === 'allow') this.track(state, analysis);
    if (analysis.ok) this.decisions.set(analysis.statements, { policy, role, decision: decided });
    return decided;
  }

  startupSettings(role: string, settings: readonly string[]): Denial | undefined {
    return decideStartupSettings(this.parts.policy(), role, settings);
  }

  /** A statement the policy sends to approval: run once when approved, else refused or held (src/approvals). */
  private approval(
    session: SessionInfo,
    req: StatementRequest,
    analysis: Extract<StatementAnalysis, { ok: true }>,
    decision: Extract<PolicyDecision, { action: 'approve' }>,
    state: SessionSqlState,
  ): StatementDecision | Promise<StatementDecision> {
    // One approval runs a statement once; a named prepared statement may be executed many times.
    if (req.via === 'prepare' && req.name !== '') return namedPrepare(decision.approval.name);
    const ask = { session, sql: req.sql, fingerprint: analysis.fingerprint, rule: decision.approval, why: decision.message, maxRows: decision.maxRows };
    return this.parts.approvals!.review(ask).then((d): StatementDecision => {
      if (d.action !== 'allow') return { ...d, shape: analysis.fingerprint, statements: analysis.statements };
      this.track(state, analysis);
      return { ...d, statements: analysis.statements, shape: analysis.fingerprint };
    });
  }

  private stateOf(session: SessionInfo): SessionSqlState {
    let state = this.sessions.get(session);
    if (!state) {
      state = { searchPath: session.client.searchPath ?? DEFAULT_SEARCH_PATH, database: session.client.database };
      this.sessions.set(session, state);
    }
    return state;
  }

  /** Follows `SET search_path` so later unqualified names resolve as the server will. */
  private track(state: SessionSqlState, analysis: StatementAnalysis): void {
    if (!analysis.ok) return;
    for (const s of analysis.statements) {
      // An empty list means RESET / DEFAULT: back to the server's default path.
      if (s.setsSearchPath) state.searchPath = s.setsSearchPath.length > 0 ? s.setsSearchPath : DEFAULT_SEARCH_PATH;
    }
  }

  /** A `USE` (or COM_INIT_DB) switches the current database only once the server said OK: a failed one leaves it. */
  confirmed(session: SessionInfo, statement: StatementInfo): void {
    if (statement.setsDatabase !== undefined) this.stateOf(session).database = statement.setsDatabase;
  }
}

function toSessionDecision(d: PolicyDecision): StatementDecision {
  switch (d.action) {
    case 'allow':
      return d.maxRows === undefined ? { action: 'allow' } : { action: 'allow', maxRows: d.maxRows };
    case 'deny':
      return { action: 'deny', sqlState: d.sqlState, message: d.message, hint: d.hint, rule: d.rule };
    case 'approve':
      // A gate built without an approvals service (embedding, tests): refuse, saying what would be needed.
      return {
        action: 'deny',
        sqlState: '42501',
        rule: d.rule,
        message: `${d.message} (approval rule ${d.rule})`,
        hint: 'this gateway takes no approval requests: narrow the statement (for example a smaller LIMIT) or ask a dba',
      };
  }
}
