// The statement gate built from the rules file: parse (src/sql), decide (src/policy), and turn
// the decision into the session's vocabulary. Observed denials and the analysis summary go to
// the audit trail; the policy in force is read per statement, so a reload applies at once.
import type { StatementAnalysis, StatementAnalyzer } from '../sql/analysis.js';
import type { PolicyConfig } from '../policy/config/types.js';
import { decideStatement, type PolicyDecision } from '../policy/decide.js';
import type { WireProtocol } from '../policy/config/types.js';
import type { StatementGate } from './pipeline.js';
import type { SessionInfo, StatementDecision, StatementRequest } from './types.js';

export interface PolicyGateParts {
  analyzers: Partial<Record<WireProtocol, StatementAnalyzer>>;
  /** The policy in force now (hot reload swaps what this returns). */
  policy: () => PolicyConfig | undefined;
}

/** Per-session state the analysis depends on. */
interface SessionSqlState {
  searchPath: string[];
  database?: string;
}

const DEFAULT_SEARCH_PATH = ['public'];

export class PolicyGate implements StatementGate {
  private readonly sessions = new WeakMap<SessionInfo, SessionSqlState>();

  constructor(private readonly parts: PolicyGateParts) {}

  decide(session: SessionInfo, req: StatementRequest): StatementDecision {
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
      return { action: 'deny', sqlState: '0A000', rule: 'analysis', message: `sqlveil: no SQL analyzer for ${session.client.protocol}` };
    }
    const state = this.stateOf(session);
    const analysis = analyzer.analyze(req.sql, { searchPath: state.searchPath, database: state.database });
    const decision = decideStatement(policy, session.identity.role, analysis);
    if (decision.action === 'allow') this.track(state, analysis);
    return toSessionDecision(decision);
  }

  private stateOf(session: SessionInfo): SessionSqlState {
    let state = this.sessions.get(session);
    if (!state) {
      state = { searchPath: DEFAULT_SEARCH_PATH, database: session.client.database };
      this.sessions.set(session, state);
    }
    return state;
  }

  /** Follows `SET search_path` / `USE` so later unqualified names resolve as the server will. */
  private track(state: SessionSqlState, analysis: StatementAnalysis): void {
    if (!analysis.ok) return;
    for (const s of analysis.statements) {
      // An empty list means RESET / DEFAULT: back to the server's default path.
      if (s.setsSearchPath) state.searchPath = s.setsSearchPath.length > 0 ? s.setsSearchPath : DEFAULT_SEARCH_PATH;
      if (s.setsDatabase) state.database = s.setsDatabase;
    }
  }
}

function toSessionDecision(d: PolicyDecision): StatementDecision {
  switch (d.action) {
    case 'allow':
      return d.maxRows === undefined ? { action: 'allow' } : { action: 'allow', maxRows: d.maxRows };
    case 'deny':
      return { action: 'deny', sqlState: d.sqlState, message: d.message, hint: d.hint, rule: d.rule };
    case 'approve':
      // Just-in-time approvals are not wired yet: refuse, saying what would be needed.
      return {
        action: 'deny',
        sqlState: '42501',
        rule: d.rule,
        message: `${d.message} (approval rule ${d.rule})`,
        hint: 'this gateway cannot take approval requests yet: narrow the statement (for example a smaller LIMIT) or ask a dba',
      };
  }
}
