// Reading node-sql-parser's MySQL trees, which are loosely typed: names come as strings or as
// `{ type, value }` / `{ expr: { value } }` objects, backtick names with their quotes doubled.
// Also the collector of facts gathered while walking one statement.

import type { FilterClause, RiskFlag, StatementKind } from './analysis.js';
import { tableKey, type NamedTable } from './pg-catalog.js';
import type { Lineage } from './pg-lineage.js';
import type { FilterTemplate } from './pg-template.js';

export type AstNode = Record<string, unknown>;

export const isNode = (value: unknown): value is AstNode => typeof value === 'object' && value !== null && !Array.isArray(value);
export const nodes = (value: unknown): AstNode[] => (Array.isArray(value) ? value.filter(isNode) : isNode(value) ? [value] : []);

/** An identifier's text, or undefined when the value is not a name. */
export function nameOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value.replace(/``/g, '`');
  if (!isNode(value)) return undefined;
  if (isNode(value.expr)) return nameOf(value.expr);
  if (typeof value.value === 'string') return value.value.replace(/``/g, '`');
  return undefined;
}

/** `db.table` as written in a FROM item, a table list entry or a DML target. */
export function tableOf(node: AstNode): NamedTable | undefined {
  const name = nameOf(node.table);
  if (name === undefined) return undefined;
  const db = nameOf(node.db);
  return db === undefined || db === '' ? { name } : { schema: db, name };
}

/** Facts about one statement, gathered while its tree is walked. */
export class MysqlCollector {
  readonly tablesRead: NamedTable[] = [];
  readonly tablesWritten: NamedTable[] = [];
  readonly functions = new Set<string>();
  readonly flags = new Set<RiskFlag>();
  /** CTE names anywhere in the statement: the parser's own table list counts them as tables. */
  readonly cteNames = new Set<string>();
  /** CTE names referenced since last cleared: tells a recursive CTE from a plain one. */
  readonly cteUses = new Set<string>();
  /** Kinds of data-modifying parts (INSERT ... SELECT is an insert reading tables). */
  kind: StatementKind | undefined;
  /** False when a fact depends on a literal's value in a way the template cannot record. */
  cacheable = true;
  /** Table columns used outside the output (as in pg-collector.ts). */
  readonly filters = new Map<string, FilterTemplate>();

  filter(lineage: Lineage, clause: FilterClause): void {
    for (const source of lineage.sources.values()) {
      const key = `${tableKey(source.table)}\0${source.column}\0${clause}`;
      if (!this.filters.has(key)) this.filters.set(key, { table: source.table, column: source.column, clause });
    }
  }

  read(table: NamedTable): void {
    this.tablesRead.push(table);
  }

  write(table: NamedTable): void {
    this.tablesWritten.push(table);
  }
}
