// Column lineage while walking a statement: the set of table columns a value derives from, and
// whether something untraceable also went into it (opaque: masking then fails closed).

import { tableKey, type NamedTable } from './pg-catalog.js';
import type { ColumnTemplate, SourceTemplate } from './pg-template.js';

/** Column name standing for every column of a table (whole-row references, unexpanded `*`). */
export const WHOLE_ROW = '*';

export class Lineage {
  readonly sources = new Map<string, SourceTemplate>();
  opaque = false;

  static opaque(): Lineage {
    const lineage = new Lineage();
    lineage.opaque = true;
    return lineage;
  }

  static of(table: NamedTable, column: string): Lineage {
    return new Lineage().addSource(table, column);
  }

  addSource(table: NamedTable, column: string): this {
    const key = `${tableKey(table)}\0${column}`;
    if (!this.sources.has(key)) this.sources.set(key, { table, column });
    return this;
  }

  add(other: Lineage | undefined): this {
    if (other === undefined) return this;
    for (const [key, source] of other.sources) if (!this.sources.has(key)) this.sources.set(key, source);
    if (other.opaque) this.opaque = true;
    return this;
  }

  markOpaque(): this {
    this.opaque = true;
    return this;
  }

  clone(): Lineage {
    return new Lineage().add(this);
  }

  toTemplate(name: string): ColumnTemplate {
    return { name, sources: [...this.sources.values()], opaque: this.opaque };
  }
}

/** An output column of a relation (query, CTE, derived table) and where its values come from. */
export interface RelColumn {
  name: string;
  lineage: Lineage;
  /** An unexpanded `*`: stands for an unknown number of columns. */
  star?: boolean;
}

/** Output columns of a query. */
export interface RelShape {
  columns: RelColumn[];
}

export function union(lineages: Iterable<Lineage>): Lineage {
  const out = new Lineage();
  for (const lineage of lineages) out.add(lineage);
  return out;
}

/** Everything a relation's rows derive from. */
export function wholeRow(shape: RelShape): Lineage {
  return union(shape.columns.map((column) => column.lineage));
}

export function hasStar(shape: RelShape): boolean {
  return shape.columns.some((column) => column.star === true);
}

/**
 * Columns of a set operation: position by position when every branch's columns are known,
 * else (a branch has an unexpanded `*`, so positions cannot be lined up) every column gets
 * everything and is opaque.
 */
export function combineBranches(branches: RelShape[]): RelShape {
  const first = branches[0]!;
  if (!branches.some(hasStar)) {
    return {
      columns: first.columns.map((column, index) => ({
        name: column.name,
        lineage: union(branches.map((branch) => branch.columns[index]?.lineage ?? Lineage.opaque())),
      })),
    };
  }
  const everything = union(branches.map(wholeRow)).markOpaque();
  return { columns: first.columns.map((column) => ({ ...column, lineage: everything.clone() })) };
}

/**
 * Renames the first columns after an alias list: `AS s(a, b)`, `WITH c(a, b) AS`. Past an
 * unexpanded `*` positions are unknown, so the rest becomes one opaque `*` column.
 */
export function renameColumns(shape: RelShape, names: readonly string[]): RelShape {
  if (names.length === 0) return shape;
  const rename = (column: RelColumn, index: number): RelColumn =>
    index < names.length ? { ...column, name: names[index]! } : column;
  const firstStar = shape.columns.findIndex((column) => column.star === true);
  if (firstStar < 0) return { columns: shape.columns.map(rename) };
  const renamed = shape.columns.slice(0, firstStar).map(rename);
  const rest = union(shape.columns.slice(firstStar).map((column) => column.lineage)).markOpaque();
  return { columns: [...renamed, { name: WHOLE_ROW, lineage: rest, star: true }] };
}
