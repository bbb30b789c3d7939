// What the gateway knows of an upstream PostgreSQL catalog: relation OIDs to names and
// columns, and the base columns each view reads (from pg_depend), so a result column's origin
// (RowDescription table OID + attribute number) can be named, and a view's column traced back
// to the tables behind it. Pure: built from rows the catalog connection read.
import type { TableRef } from '../sql/analysis.js';

export interface SourceColumn {
  table: TableRef;
  /** A column name, or `*` for every column of the table (whole-row dependencies). */
  column: string;
}

export interface Relation {
  oid: number;
  schema: string;
  name: string;
  /** table: stores rows (tables, partitioned and foreign tables); view: views and materialized views. */
  kind: 'table' | 'view';
  columns: Map<number, string>;
}

/** Origin of a result column, named. */
export type ResolvedOrigin =
  | { kind: 'column'; table: TableRef; column: string }
  /** A view column: the base table columns the view reads (per view, not per column: fail closed). */
  | { kind: 'view'; view: TableRef; sources: SourceColumn[] };

export const RELATIONS_QUERY = `SELECT c.oid::int8, n.nspname, c.relname, c.relkind, a.attnum, a.attname
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f')`;

/** Columns (or whole rows, attnum 0) each view's rewrite rule depends on. */
export const VIEW_DEPENDENCIES_QUERY = `SELECT DISTINCT r.ev_class::int8, d.refobjid::int8, d.refobjsubid
FROM pg_catalog.pg_rewrite r
JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = r.oid
JOIN pg_catalog.pg_class c ON c.oid = r.ev_class AND c.relkind IN ('v', 'm')
WHERE d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid <> r.ev_class`;

type Row = (string | null)[];

export class CatalogSnapshot {
  private readonly relations = new Map<number, Relation>();
  private readonly byName = new Map<string, number>();
  /** View OID -> base table columns, views expanded transitively. */
  private readonly viewSources = new Map<number, SourceColumn[]>();

  constructor(relationRows: readonly Row[], dependencyRows: readonly Row[]) {
    for (const [oid, schema, name, relkind, attnum, attname] of relationRows) {
      const id = Number(oid);
      let rel = this.relations.get(id);
      if (!rel) {
        rel = { oid: id, schema: schema!, name: name!, kind: relkind === 'v' || relkind === 'm' ? 'view' : 'table', columns: new Map() };
        this.relations.set(id, rel);
        this.byName.set(nameKey(rel.schema, rel.name), id);
      }
      rel.columns.set(Number(attnum), attname!);
    }
    const direct = new Map<number, { oid: number; attnum: number }[]>();
    for (const [view, ref, attnum] of dependencyRows) {
      const list = direct.get(Number(view)) ?? [];
      list.push({ oid: Number(ref), attnum: Number(attnum) });
      direct.set(Number(view), list);
    }
    for (const view of direct.keys()) this.viewSources.set(view, this.expand(view, direct, new Set()));
  }

  get size(): number {
    return this.relations.size;
  }

  relation(oid: number): Relation | undefined {
    return this.relations.get(oid);
  }

  /** A relation by exact (case-sensitive, as stored) schema and name. */
  relationNamed(schema: string, name: string): Relation | undefined {
    const oid = this.byName.get(nameKey(schema, name));
    return oid === undefined ? undefined : this.relations.get(oid);
  }

  /** Names a RowDescription origin; undefined when the OID or attribute is unknown (stale snapshot). */
  resolve(tableOid: number, attnum: number): ResolvedOrigin | undefined {
    const rel = this.relations.get(tableOid);
    const column = rel?.columns.get(attnum);
    if (!rel || column === undefined) return undefined;
    const table = { schema: rel.schema, name: rel.name };
    if (rel.kind === 'table') return { kind: 'column', table, column };
    return { kind: 'view', view: table, sources: this.viewSources.get(rel.oid) ?? [] };
  }

  /** The base table columns behind a view (undefined for a table or an unknown name). */
  sourcesOfView(schema: string, name: string): SourceColumn[] | undefined {
    const rel = this.relationNamed(schema, name);
    return rel?.kind === 'view' ? (this.viewSources.get(rel.oid) ?? []) : undefined;
  }

  private expand(view: number, direct: Map<number, { oid: number; attnum: number }[]>, seen: Set<number>): SourceColumn[] {
    if (seen.has(view)) return [];
    seen.add(view);
    const out: SourceColumn[] = [];
    for (const dep of direct.get(view) ?? []) {
      const rel = this.relations.get(dep.oid);
      if (!rel) continue; // functions, types, sequences: not row sources
      if (rel.kind === 'view') {
        out.push(...this.expand(rel.oid, direct, seen));
        continue;
      }
      const column = dep.attnum === 0 ? '*' : rel.columns.get(dep.attnum);
      if (column !== undefined) out.push({ table: { schema: rel.schema, name: rel.name }, column });
    }
    return out;
  }
}

function nameKey(schema: string, name: string): string {
  return `${schema}\0${name}`;
}
