// Name resolution while walking a query: which FROM items and CTEs a column reference can mean.
// Without the catalog the gateway does not know a table's columns, so a reference that might
// belong to several items derives from all of them (masking then errs towards masking).

import type { NamedTable } from './pg-catalog.js';
import { Lineage, WHOLE_ROW, union, wholeRow, type RelColumn, type RelShape } from './pg-lineage.js';

export type FromItem =
  | { type: 'table'; refname: string; table: NamedTable; aliased: boolean }
  | { type: 'relation'; refname?: string; shape: RelShape }
  | {
      type: 'join';
      refname?: string;
      /** `(a JOIN b) AS j` hides a and b; `JOIN ... USING (x) AS j` does not. */
      hidesChildren: boolean;
      children: FromItem[];
      using: string[];
      natural: boolean;
    };

/** The FROM items of one query level, and the level it is nested in (for correlated references). */
export interface Level {
  items: FromItem[];
  parent?: Level;
}

/** CTEs visible from a query, innermost first. */
export interface CteFrame {
  ctes: Map<string, RelShape>;
  parent?: CteFrame;
}

export interface Env {
  level?: Level;
  ctes?: CteFrame;
}

export function lookupCte(frame: CteFrame | undefined, name: string): RelShape | undefined {
  for (let f = frame; f !== undefined; f = f.parent) {
    const shape = f.ctes.get(name);
    if (shape !== undefined) return shape;
  }
  return undefined;
}

interface Match {
  lineage: Lineage;
  /** The item certainly has this column (a relation whose columns are known). */
  definite: boolean;
}

/** What column `name` of one FROM item derives from (a USING / NATURAL join column). */
export function itemColumn(item: FromItem, name: string): Lineage {
  return columnOf(item, name)?.lineage ?? Lineage.opaque();
}

function columnOf(item: FromItem, name: string): Match | undefined {
  switch (item.type) {
    case 'table':
      return { lineage: Lineage.of(item.table, name), definite: false };
    case 'relation': {
      const named = item.shape.columns.filter((column) => column.star !== true && column.name === name);
      if (named.length > 0) return { lineage: union(named.map((column) => column.lineage)), definite: true };
      const stars = item.shape.columns.filter((column) => column.star === true);
      if (stars.length > 0) return { lineage: union(stars.map((column) => column.lineage)).markOpaque(), definite: false };
      return undefined;
    }
    case 'join': {
      const matches = item.children.map((child) => columnOf(child, name)).filter((match) => match !== undefined);
      if (matches.length === 0) return undefined;
      return { lineage: union(matches.map((match) => match.lineage)), definite: matches.some((match) => match.definite) };
    }
  }
}

export function wholeRowOf(item: FromItem): Lineage {
  switch (item.type) {
    case 'table':
      return Lineage.of(item.table, WHOLE_ROW);
    case 'relation':
      return wholeRow(item.shape);
    case 'join':
      return union(item.children.map(wholeRowOf));
  }
}

/** Items a qualifier can name at one level: joins without an alias show their children. */
function visibleItems(items: readonly FromItem[], out: FromItem[] = []): FromItem[] {
  for (const item of items) {
    out.push(item);
    if (item.type === 'join' && !item.hidesChildren) visibleItems(item.children, out);
  }
  return out;
}

function matchesQualifier(item: FromItem, qualifiers: readonly string[]): boolean {
  const name = qualifiers[qualifiers.length - 1];
  if (item.refname !== name) return false;
  if (qualifiers.length === 1) return true;
  // schema.table.column: only an unaliased table of that schema (or of an unknown one).
  const schema = qualifiers[qualifiers.length - 2];
  return item.type === 'table' && !item.aliased && (item.table.schema === undefined || item.table.schema === schema);
}

/** The FROM item a qualifier (`t` or `s.t`) names, innermost level first. */
export function findItem(level: Level | undefined, qualifiers: readonly string[]): FromItem | undefined {
  for (let l = level; l !== undefined; l = l.parent) {
    const item = visibleItems(l.items).find((candidate) => matchesQualifier(candidate, qualifiers));
    if (item !== undefined) return item;
  }
  return undefined;
}

/** `t.col` (or `s.t.col`); undefined when no item is named so. */
export function resolveQualified(level: Level | undefined, qualifiers: readonly string[], column: string): Lineage | undefined {
  const item = findItem(level, qualifiers);
  if (item === undefined) return undefined;
  return columnOf(item, column)?.lineage ?? Lineage.opaque();
}

/**
 * An unqualified `name`: a column of any item of the innermost level that can have it, going
 * outwards while no level certainly has it; or a whole-row reference to an item named so.
 */
export function resolveUnqualified(level: Level | undefined, name: string): Lineage {
  const out = new Lineage();
  let found = false;
  for (let l = level; l !== undefined; l = l.parent) {
    // A FROM item known to have the column is where it comes from: were a table of unknown
    // columns to have it too, the server would refuse the name as ambiguous.
    // (Possible matches of an inner level stay: there the server would look first.)
    const definite = new Lineage();
    const possible = new Lineage();
    let anyDefinite = false;
    for (const item of l.items) {
      const match = columnOf(item, name);
      if (match === undefined) continue;
      if (match.definite) {
        definite.add(match.lineage);
        anyDefinite = true;
      } else possible.add(match.lineage);
      found = true;
    }
    if (anyDefinite) return out.add(definite);
    out.add(possible);
    const named = visibleItems(l.items).find((item) => item.refname === name);
    if (named !== undefined) {
      out.add(wholeRowOf(named));
      found = true;
    }
  }
  return found ? out : Lineage.opaque();
}

/** Columns `*` stands for over some FROM items, as far as they are known. */
export function expandStar(items: readonly FromItem[]): RelColumn[] {
  const out: RelColumn[] = [];
  for (const item of items) {
    switch (item.type) {
      case 'table':
        out.push({ name: WHOLE_ROW, lineage: Lineage.of(item.table, WHOLE_ROW).markOpaque(), star: true });
        break;
      case 'relation':
        for (const column of item.shape.columns) out.push({ ...column, lineage: column.lineage.clone() });
        break;
      case 'join':
        out.push(...expandJoin(item));
        break;
    }
  }
  return out;
}

/** A join's `*`: USING / NATURAL columns once, first, when both sides' columns are known. */
function expandJoin(join: Extract<FromItem, { type: 'join' }>): RelColumn[] {
  const left = expandStar(join.children.slice(0, 1));
  const right = expandStar(join.children.slice(1));
  if (join.using.length === 0 && !join.natural) return [...left, ...right];
  const all = [...left, ...right];
  if (all.some((column) => column.star === true)) {
    return [{ name: WHOLE_ROW, lineage: union(all.map((column) => column.lineage)).markOpaque(), star: true }];
  }
  const rightNames = new Set(right.map((column) => column.name));
  const common = join.natural ? left.map((column) => column.name).filter((name) => rightNames.has(name)) : join.using;
  const shared = new Set(common);
  const merged = common.map((name) => ({
    name,
    lineage: union(all.filter((column) => column.name === name).map((column) => column.lineage)),
  }));
  return [...merged, ...all.filter((column) => !shared.has(column.name))];
}
