// Walking a SELECT (and set operations, VALUES, CTEs): its output columns' lineage, and on the
// way every table it reads.

import type { ColumnRef, CommonTableExpr, Node, SelectStmt, WithClause } from 'libpg-query';
import type { FilterClause } from './analysis.js';
import { eachChildOf, strings, tagOf } from './pg-ast.js';
import type { Collector } from './pg-collector.js';
import { deleteQuery, insertQuery, mergeQuery, updateQuery } from './pg-dml.js';
import { exprLineage, walkExprs } from './pg-expr.js';
import { fromItem } from './pg-from.js';
import { Lineage, WHOLE_ROW, combineBranches, renameColumns, union, type RelColumn, type RelShape } from './pg-lineage.js';
import { columnName } from './pg-names.js';
import { namedTable } from './pg-ast.js';
import { expandStar, findItem, type CteFrame, type Env, type Level } from './pg-scope.js';

/** Output columns of any query node (SELECT, or DML with RETURNING); undefined for others. */
export function walkQuery(node: Node | undefined, env: Env, c: Collector): RelShape | undefined {
  const tagged = tagOf(node);
  if (tagged === undefined || node === undefined) return undefined;
  if ('SelectStmt' in node) return selectQuery(node.SelectStmt, env, c);
  if ('InsertStmt' in node) return insertQuery(node.InsertStmt, env, c);
  if ('UpdateStmt' in node) return updateQuery(node.UpdateStmt, env, c);
  if ('DeleteStmt' in node) return deleteQuery(node.DeleteStmt, env, c);
  if ('MergeStmt' in node) return mergeQuery(node.MergeStmt, env, c);
  return undefined;
}

export function selectQuery(select: SelectStmt, env: Env, c: Collector): RelShape {
  return c.nested(() => {
    const inner = select.withClause === undefined ? env : withCtes(select.withClause, env, c);
    if (select.lockingClause !== undefined && select.lockingClause.length > 0) c.flags.add('locking-read');
    if (select.op !== undefined && select.op !== 'SETOP_NONE') {
      const branches = [select.larg, select.rarg]
        .filter((branch) => branch !== undefined)
        .map((branch) => selectQuery(branch, inner, c));
      const combined = branches.length === 0 ? { columns: [] } : combineBranches(branches);
      // UNION (without ALL), INTERSECT and EXCEPT compare the rows' values to drop or keep them.
      if (select.all !== true) for (const column of combined.columns) c.filter(column.lineage, 'set-operation');
      byOutput(select.sortClause, combined.columns, inner, c, 'order-by');
      walkExprs([select.limitCount, select.limitOffset], inner, c, 'limit');
      return combined;
    }
    if (select.valuesLists !== undefined) return valuesShape(select.valuesLists, inner, c);
    const level: Level = { items: [], parent: inner.level };
    const scope: Env = { level, ctes: inner.ctes };
    for (const item of select.fromClause ?? []) level.items.push(fromItem(item, scope, c));
    const columns = targetColumns(select.targetList, scope, c);
    walkExprs(select.whereClause, scope, c, 'where');
    byOutput(select.groupClause, columns, scope, c, 'group-by');
    walkExprs(select.havingClause, scope, c, 'having');
    walkExprs(select.windowClause, scope, c, 'window');
    byOutput(select.sortClause, columns, scope, c, 'order-by');
    // Plain DISTINCT is a list of one empty node and compares every output column.
    const distinct = select.distinctClause ?? [];
    if (distinct.length > 0 && distinct.every((node) => tagOf(node) === undefined)) {
      for (const column of columns) c.filter(column.lineage, 'distinct');
    } else byOutput(distinct, columns, scope, c, 'distinct');
    walkExprs([select.limitCount, select.limitOffset], scope, c, 'limit');
    if (select.intoClause?.rel !== undefined) c.write(namedTable(select.intoClause.rel));
    return { columns };
  });
}

/**
 * GROUP BY / ORDER BY / DISTINCT ON items: an output column's position (`ORDER BY 2`) or name
 * (`ORDER BY alias`) means that column, besides whatever the name means in the FROM items.
 */
function byOutput(items: Node[] | undefined, columns: readonly RelColumn[], env: Env, c: Collector, clause: FilterClause): void {
  const visit = (node: Node): void => {
    const [tag, body] = tagOf(node) ?? ['', {}];
    if (tag === 'SortBy') {
      if (body.node !== undefined) visit(body.node as Node);
      walkExprs(body.useOp, env, c, clause);
      return;
    }
    if (tag === 'GroupingSet' || tag === 'List') {
      eachChildOf(body, visit);
      return;
    }
    const position = tag === 'A_Const' && typeof (body.ival as { ival?: unknown } | undefined)?.ival === 'number' ? (body.ival as { ival: number }).ival : undefined;
    if (position !== undefined || (tag === 'A_Const' && body.ival !== undefined)) {
      // The position is a literal the shape cache does not keep: analyse such strings afresh.
      c.cacheable = false;
      // `{ ival: {} }` is 0; at or past an unexpanded `*` the position may be any column.
      const known = position !== undefined && !columns.slice(0, position).some((col) => col.star === true);
      const column = known ? columns[position - 1] : undefined;
      c.filter(column?.lineage ?? union(columns.map((col) => col.lineage)), clause);
      return;
    }
    if (tag === 'ColumnRef') {
      const fields = (body as ColumnRef).fields ?? [];
      const name = fields.length === 1 && 'String' in fields[0]! ? fields[0].String.sval : undefined;
      for (const column of columns) if (name !== undefined && column.star !== true && column.name === name) c.filter(column.lineage, clause);
    }
    walkExprs(node, env, c, clause);
  };
  for (const item of items ?? []) visit(item);
}

/** `VALUES (...), (...)`: columns column1..n, each from every row's expression at that position. */
function valuesShape(rows: Node[], env: Env, c: Collector): RelShape {
  const columns: RelColumn[] = [];
  for (const row of rows) {
    const items = 'List' in row ? (row.List.items ?? []) : [row];
    items.forEach((item, index) => {
      columns[index] ??= { name: `column${index + 1}`, lineage: new Lineage() };
      columns[index].lineage.add(exprLineage(item, env, c));
    });
  }
  return { columns };
}

/** A select list's columns; `*` and `t.*` expand as far as the items' columns are known. */
export function targetColumns(targets: Node[] | undefined, env: Env, c: Collector): RelColumn[] {
  const columns: RelColumn[] = [];
  for (const target of targets ?? []) {
    if (!('ResTarget' in target)) continue;
    const { val, name } = target.ResTarget;
    const fields = val !== undefined && 'ColumnRef' in val ? (val.ColumnRef.fields ?? []) : undefined;
    const last = fields?.[fields.length - 1];
    if (fields !== undefined && last !== undefined && 'A_Star' in last) {
      const qualifiers = strings(fields);
      if (qualifiers.length === 0) columns.push(...expandStar(env.level?.items ?? []));
      else {
        const item = findItem(env.level, qualifiers);
        columns.push(...(item === undefined ? [opaqueStar()] : expandStar([item])));
      }
      continue;
    }
    columns.push({ name: name ?? columnName(val), lineage: exprLineage(val, env, c) });
  }
  return columns;
}

function opaqueStar(): RelColumn {
  return { name: WHOLE_ROW, lineage: Lineage.opaque(), star: true };
}

/** Registers a WITH clause's CTEs in a new frame; returns the environment that sees them. */
export function withCtes(clause: WithClause, env: Env, c: Collector): Env {
  const frame: CteFrame = { ctes: new Map(), parent: env.ctes };
  const inner: Env = { level: env.level, ctes: frame };
  const ctes = (clause.ctes ?? []).flatMap((node) => ('CommonTableExpr' in node ? [node.CommonTableExpr] : []));
  if (clause.recursive !== true) {
    // Each CTE sees the ones before it.
    for (const cte of ctes) frame.ctes.set(cte.ctename ?? '', cteShape(cte, inner, c));
    return inner;
  }
  recursiveCtes(ctes, frame, inner, c);
  return inner;
}

function cteShape(cte: CommonTableExpr, env: Env, c: Collector, query: Node | undefined = cte.ctequery): RelShape {
  const shape = walkQuery(query, env, c) ?? { columns: [] };
  const renamed = renameColumns(shape, strings(cte.aliascolnames));
  // SEARCH ... SET ord and CYCLE ... USING path hold the values of the columns they list (and
  // the cycle mark tells whether those values repeat): each derives from those columns.
  const listed = (names: Node[] | undefined): Lineage => {
    const wanted = strings(names);
    const hit = renamed.columns.filter((column) => column.star === true || wanted.includes(column.name));
    return wanted.length > 0 && hit.length === 0 ? Lineage.opaque() : union(hit.map((column) => column.lineage));
  };
  const search = cte.search_clause;
  const cycle = cte.cycle_clause;
  const extra: [string | undefined, Lineage][] = [
    [search?.search_seq_column, search === undefined ? new Lineage() : listed(search.search_col_list)],
    [cycle?.cycle_mark_column, cycle === undefined ? new Lineage() : listed(cycle.cycle_col_list)],
    [cycle?.cycle_path_column, cycle === undefined ? new Lineage() : listed(cycle.cycle_col_list)],
  ];
  for (const [name, lineage] of extra) if (name !== undefined) renamed.columns.push({ name, lineage });
  return renamed;
}

const MAX_ROUNDS = 5;

/**
 * WITH RECURSIVE: start each CTE from its non-recursive branch, then re-walk until the
 * lineage stops growing; if it has not settled after a few rounds, everything is opaque.
 */
function recursiveCtes(ctes: CommonTableExpr[], frame: CteFrame, env: Env, c: Collector): void {
  for (const cte of ctes) frame.ctes.set(cte.ctename ?? '', { columns: [] });
  for (const cte of ctes) {
    const query = cte.ctequery;
    const seed = query !== undefined && 'SelectStmt' in query && query.SelectStmt.larg !== undefined
      ? { SelectStmt: query.SelectStmt.larg }
      : query;
    frame.ctes.set(cte.ctename ?? '', cteShape(cte, env, c, seed));
  }
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let changed = false;
    for (const cte of ctes) {
      const name = cte.ctename ?? '';
      const next = cteShape(cte, env, c);
      if (signature(next) !== signature(frame.ctes.get(name)!)) changed = true;
      frame.ctes.set(name, next);
    }
    if (!changed) return;
  }
  for (const [name, shape] of frame.ctes) {
    const everything = union(shape.columns.map((column) => column.lineage)).markOpaque();
    frame.ctes.set(name, { columns: shape.columns.map((column) => ({ ...column, lineage: everything.clone() })) });
  }
}

function signature(shape: RelShape): string {
  return shape.columns
    .map((column) => `${column.name}:${column.lineage.opaque}:${[...column.lineage.sources.keys()].sort().join(',')}`)
    .join('|');
}
