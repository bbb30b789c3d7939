// The client's prepared statements and portals as the relay sees them (PostgreSQL docs,
// "Extended Query"): what each statement returns, its row limit, and how many rows each
// portal has sent, so rows of a later Execute are attributed without a new RowDescription.
import type { FieldDescription } from './backend-messages.js';
import type { BindTarget } from './frontend-messages.js';

interface PreparedStatement {
  /** From a Describe of the statement; undefined until then. */
  fields: FieldDescription[] | undefined;
  /** Rows one execution may return to the client. */
  maxRows: number;
  /** What the session attached when it allowed the statement. */
  context: unknown;
}

interface Portal extends BindTarget {
  /** Rows returned over its Executes, for the export limit. */
  rowsSent: number;
}

export class PreparedRegistry {
  private readonly statements = new Map<string, PreparedStatement>();
  private readonly portals = new Map<string, Portal>();

  parsed(statement: string, maxRows: number, context?: unknown): void {
    this.statements.set(statement, { fields: undefined, maxRows, context });
  }

  described(statement: string, fields: FieldDescription[]): void {
    const st = this.statements.get(statement);
    if (st) st.fields = fields;
  }

  bound(target: BindTarget): void {
    this.portals.set(target.portal, { ...target, rowsSent: 0 });
  }

  closed(target: 'S' | 'P', name: string): void {
    if (target === 'S') this.statements.delete(name);
    else this.portals.delete(name);
  }

  /** Row limit of an Execute of this portal, and the rows its earlier Executes sent. */
  executeBudget(portal: string): { limit: number; rowsSent: number } {
    const p = this.portals.get(portal);
    return { limit: (p && this.statements.get(p.statement)?.maxRows) ?? Infinity, rowsSent: p?.rowsSent ?? 0 };
  }

  /** The session's context of the statement a portal runs. */
  portalContext(portal: string): unknown {
    const p = this.portals.get(portal);
    return p && this.statements.get(p.statement)?.context;
  }

  executed(portal: string, rowsSent: number): void {
    const p = this.portals.get(portal);
    if (p) p.rowsSent = rowsSent;
  }

  /** Columns of a portal: its statement's description with the Bind's result formats. */
  portalFields(portal: string): FieldDescription[] | undefined {
    const p = this.portals.get(portal);
    const fields = p && this.statements.get(p.statement)?.fields;
    if (!p || !fields) return undefined;
    const formats = p.resultFormats;
    if (formats.length === 0) return fields;
    return fields.map((f, i) => ({ ...f, format: formats[formats.length === 1 ? 0 : i] ?? 0 }));
  }
}
