// The client's prepared statements and portals as the server confirmed them (PostgreSQL docs,
// "Extended Query"): a statement exists from its ParseComplete, a portal from its BindComplete,
// and both carry what the session attached when it allowed the statement. Results are matched to
// these, never to what the client asked for: a Parse the server rejected, an unnamed statement
// parsed again after a Bind, or a Describe of another portal cannot change which plan masks a row.
import type { FieldDescription } from './backend-messages.js';

/** What the server answered to a Describe: the columns, or NoData (null); undefined until then. */
export type Described = FieldDescription[] | null | undefined;

export interface StatementPlan {
  /** Rows one execution may return to the client. */
  maxRows: number;
  /** What the session attached when it allowed the statement. */
  context: unknown;
  /** From a Describe of the statement. */
  fields: Described;
  /** Its columns by the result formats of a Bind (one array per layout, so the session's per-layout caches hit). */
  formatted?: Map<string, FieldDescription[]>;
}

export interface PortalPlan {
  /** The statement the server bound it to; undefined when the gateway never saw that statement allowed. */
  statement: StatementPlan | undefined;
  resultFormats: number[];
  /** From a Describe of the portal (the client's or the gateway's own). */
  fields: Described;
  /** Rows returned over its Executes, for the export limit. */
  rowsSent: number;
}

export class PreparedRegistry {
  private readonly statements = new Map<string, StatementPlan>();
  private readonly portals = new Map<string, PortalPlan>();

  /** ParseComplete: the statement exists (an unnamed one replaces the last). */
  parsed(name: string, plan: StatementPlan): void {
    this.statements.set(name, plan);
  }

  statementDescribed(name: string, fields: FieldDescription[] | null): void {
    const st = this.statements.get(name);
    if (!st) return;
    st.fields = fields;
    st.formatted = undefined;
  }

  /** BindComplete: the portal runs the statement of that name as the server has it now. */
  bound(portal: string, statement: string, resultFormats: number[]): void {
    this.portals.set(portal, { statement: this.statements.get(statement), resultFormats, fields: undefined, rowsSent: 0 });
  }

  portalDescribed(name: string, fields: FieldDescription[] | null): void {
    const p = this.portals.get(name);
    if (p) p.fields = fields;
  }

  portal(name: string): PortalPlan | undefined {
    return this.portals.get(name);
  }

  /** CloseComplete, or a statement the session says the server dropped or replaced (DEALLOCATE, SQL PREPARE). */
  closed(target: 'S' | 'P', name: string): void {
    if (target === 'S') this.statements.delete(name);
    else this.portals.delete(name);
  }

  forgetAll(target: 'S' | 'P'): void {
    if (target === 'S') this.statements.clear();
    else this.portals.clear();
  }

  /** Portals live until the end of their transaction. */
  transactionEnded(): void {
    if (this.portals.size > 0) this.portals.clear();
  }

  /** A simple Query destroys the unnamed statement and the unnamed portal. */
  simpleQueryRan(): void {
    this.statements.delete('');
    this.portals.delete('');
  }
}

/** Columns of a portal: its own Describe, else its statement's with the Bind's result formats. */
export function portalFields(p: PortalPlan): Described {
  if (p.fields !== undefined) return p.fields;
  const st = p.statement;
  const fields = st?.fields;
  if (!st || !fields) return fields;
  const formats = p.resultFormats;
  if (formats.length === 0) return fields;
  const key = formats.join(',');
  let out = st.formatted?.get(key);
  if (out === undefined) {
    out = fields.map((f, i) => ({ ...f, format: formats[formats.length === 1 ? 0 : i] ?? 0 }));
    (st.formatted ??= new Map()).set(key, out);
  }
  return out;
}
