// Gateway counters, rendered in the Prometheus text exposition format. Hot paths hold their
// counter cells directly (one increment, no label formatting per event).
import type { WireProtocol } from '../policy/config/types.js';

/** One labelled time series. */
export class Cell {
  value = 0;
  constructor(readonly labels: string) {}
}

class Family {
  private readonly cells = new Map<string, Cell>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' = 'counter',
  ) {}

  cell(labels: Record<string, string>): Cell {
    const key = Object.entries(labels)
      .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`)
      .join(',');
    let c = this.cells.get(key);
    if (!c) this.cells.set(key, (c = new Cell(key)));
    return c;
  }

  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} ${this.type}\n`;
    for (const c of this.cells.values()) out += `${this.name}${c.labels ? `{${c.labels}}` : ''} ${c.value}\n`;
    return out;
  }
}

/** The cells a session of one protocol touches, looked up once. */
export interface ProtocolCells {
  sessionsTotal: Cell;
  sessionsActive: Cell;
  allowed: Cell;
  denied: Cell;
  rows: Cell;
}

/** The audit sink's cells (src/audit): counters it increments and gauges it sets. */
export interface AuditCells {
  queueDepth: Cell;
  spoolBytes: Cell;
  lagSeconds: Cell;
  writable: Cell;
  sent: Cell;
  failed: Cell;
  dropped: Cell;
}

export class GatewayMetrics {
  private readonly sessionsTotal = new Family('sqlveil_sessions_total', 'Client sessions authenticated.');
  private readonly sessionsActive = new Family('sqlveil_sessions_active', 'Client sessions open now.', 'gauge');
  private readonly statements = new Family('sqlveil_statements_total', 'Statements decided, by decision.');
  private readonly rowsTotal = new Family('sqlveil_rows_total', 'Result rows relayed to clients.');
  private readonly authFailures = new Family('sqlveil_auth_failures_total', 'Refused logins, by reason.');
  private readonly upstreamErrors = new Family('sqlveil_upstream_errors_total', 'Failed upstream logins or connections.');
  private readonly cancels = new Family('sqlveil_cancel_requests_total', 'Cancel requests, by outcome.');
  private readonly byProtocol = new Map<WireProtocol, ProtocolCells>();
  private readonly auditQueue = new Family('sqlveil_audit_queue_depth', 'Audit events in memory, not yet sent nor spooled.', 'gauge');
  private readonly auditSpool = new Family('sqlveil_audit_spool_bytes', 'Unsent bytes in the local audit spool.', 'gauge');
  private readonly auditLag = new Family('sqlveil_audit_lag_seconds', 'Age of the oldest audit event not yet in Kafka (or the file).', 'gauge');
  private readonly auditWritable = new Family('sqlveil_audit_writable', '1 when audit events can be stored; 0 means statements are refused.', 'gauge');
  private readonly auditEvents = new Family('sqlveil_audit_events_total', 'Audit events by outcome: sent, failed (send attempts), dropped.');
  private auditCellsCache: AuditCells | undefined;

  auditCells(): AuditCells {
    this.auditCellsCache ??= {
      queueDepth: this.auditQueue.cell({}),
      spoolBytes: this.auditSpool.cell({}),
      lagSeconds: this.auditLag.cell({}),
      writable: this.auditWritable.cell({}),
      sent: this.auditEvents.cell({ outcome: 'sent' }),
      failed: this.auditEvents.cell({ outcome: 'failed' }),
      dropped: this.auditEvents.cell({ outcome: 'dropped' }),
    };
    return this.auditCellsCache;
  }

  forProtocol(protocol: WireProtocol): ProtocolCells {
    let cells = this.byProtocol.get(protocol);
    if (!cells) {
      cells = {
        sessionsTotal: this.sessionsTotal.cell({ protocol }),
        sessionsActive: this.sessionsActive.cell({ protocol }),
        allowed: this.statements.cell({ protocol, decision: 'allow' }),
        denied: this.statements.cell({ protocol, decision: 'deny' }),
        rows: this.rowsTotal.cell({ protocol }),
      };
      this.byProtocol.set(protocol, cells);
    }
    return cells;
  }

  authFailure(protocol: WireProtocol, reason: string): void {
    this.authFailures.cell({ protocol, reason }).value++;
  }
  upstreamError(protocol: WireProtocol): void {
    this.upstreamErrors.cell({ protocol }).value++;
  }
  cancel(outcome: 'forwarded' | 'unknown_key'): void {
    this.cancels.cell({ outcome }).value++;
  }

  render(): string {
    return [
      this.sessionsTotal,
      this.sessionsActive,
      this.statements,
      this.rowsTotal,
      this.authFailures,
      this.upstreamErrors,
      this.cancels,
      this.auditQueue,
      this.auditSpool,
      this.auditLag,
      this.auditWritable,
      this.auditEvents,
    ]
      .map((f) => f.render())
      .join('');
  }
}
