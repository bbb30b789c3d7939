// INSERT, UPDATE, DELETE and MERGE: the table written, the tables read, the unfiltered-write
// flags, and the lineage of RETURNING.

import type { DeleteStmt, InsertStmt, MergeStmt, Node, RangeVar, ReturningClause, UpdateStmt } from 'libpg-query';
import type { StatementKind } from './analysis.js';
import { containsTag, namedTable, tagOf } from './pg-ast.js';
import type { Collector } from './pg-collector.js';
import { walkExprs } from './pg-expr.js';
import { fromItem } from './pg-from.js';
import type { RelShape } from './pg-lineage.js';
import { targetColumns, walkQuery, withCtes } from './pg-query.js';
import type { Env, FromItem, Level } from './pg-scope.js';

/** Runs a DML walk, noting it as a nested effect when it sits inside another query (a CTE). */
function dml<T>(kind: StatementKind, c: Collector, walk: () => T): T {
  if (c.depth > 0) {
    c.nestedEffects.add(kind);
    c.flags.add('data-modifying-cte');
  }
  return c.nested(walk);
}

function targetItem(relation: RangeVar | undefined): Extract<FromItem, { type: 'table' }> {
  const table = namedTable(relation ?? {});
  const alias = relation?.alias?.aliasname;
  return { type: 'table', refname: alias ?? table.name, table, aliased: alias !== undefined };
}

export function insertQuery(insert: InsertStmt, env: Env, c: Collector): RelShape | undefined {
  return dml('insert', c, () => {
    const inner = insert.withClause === undefined ? env : withCtes(insert.withClause, env, c);
    const target = targetItem(insert.relation);
    c.write(target.table);
    walkQuery(insert.selectStmt, inner, c);
    const conflict = insert.onConflictClause;
    if (conflict !== undefined) {
      c.read(target.table); // ON CONFLICT looks at (and may update) existing rows
      const excluded: FromItem = { type: 'table', refname: 'excluded', table: target.table, aliased: true };
      const level: Level = { items: [target, excluded], parent: inner.level };
      walkExprs(conflict.targetList, { level, ctes: inner.ctes }, c);
      walkExprs([conflict.whereClause, conflict.infer], { level, ctes: inner.ctes }, c, 'where');
    }
    return returning(insert.returningClause, target, [], inner, c);
  });
}

export function updateQuery(update: UpdateStmt, env: Env, c: Collector): RelShape | undefined {
  return dml('update', c, () => {
    const inner = update.withClause === undefined ? env : withCtes(update.withClause, env, c);
    const target = targetItem(update.relation);
    c.write(target.table);
    c.read(target.table);
    const level: Level = { items: [target], parent: inner.level };
    const scope: Env = { level, ctes: inner.ctes };
    for (const item of update.fromClause ?? []) level.items.push(fromItem(item, scope, c));
    walkExprs(update.targetList, scope, c);
    walkExprs(update.whereClause, scope, c, 'where');
    if (unfiltered(update.whereClause)) c.flags.add('update-without-where');
    return returning(update.returningClause, target, level.items.slice(1), inner, c);
  });
}

export function deleteQuery(del: DeleteStmt, env: Env, c: Collector): RelShape | undefined {
  return dml('delete', c, () => {
    const inner = del.withClause === undefined ? env : withCtes(del.withClause, env, c);
    const target = targetItem(del.relation);
    c.write(target.table);
    c.read(target.table);
    const level: Level = { items: [target], parent: inner.level };
    const scope: Env = { level, ctes: inner.ctes };
    for (const item of del.usingClause ?? []) level.items.push(fromItem(item, scope, c));
    walkExprs(del.whereClause, scope, c, 'where');
    if (unfiltered(del.whereClause)) c.flags.add('delete-without-where');
    return returning(del.returningClause, target, level.items.slice(1), inner, c);
  });
}

export function mergeQuery(merge: MergeStmt, env: Env, c: Collector): RelShape | undefined {
  return dml('merge', c, () => {
    const inner = merge.withClause === undefined ? env : withCtes(merge.withClause, env, c);
    const target = targetItem(merge.relation);
    c.write(target.table);
    c.read(target.table);
    const level: Level = { items: [target], parent: inner.level };
    const scope: Env = { level, ctes: inner.ctes };
    if (merge.sourceRelation !== undefined) level.items.push(fromItem(merge.sourceRelation, scope, c));
    walkExprs(merge.joinCondition, scope, c, 'join');
    for (const when of merge.mergeWhenClauses ?? []) {
      if (!('MergeWhenClause' in when)) continue;
      const { condition, ...rest } = when.MergeWhenClause;
      walkExprs(condition, scope, c, 'where');
      walkExprs(rest, scope, c);
    }
    return returning(merge.returningClause, target, level.items.slice(1), inner, c);
  });
}

/**
 * RETURNING: `*` is the target's and the FROM / USING items' columns; `old.x` / `new.x`
 * (PostgreSQL 18, renamable with `RETURNING WITH (OLD AS o)`) are the target's too.
 */
function returning(
  clause: ReturningClause | undefined,
  target: Extract<FromItem, { type: 'table' }>,
  others: FromItem[],
  env: Env,
  c: Collector,
): RelShape | undefined {
  if (clause?.exprs === undefined || clause.exprs.length === 0) return undefined;
  c.read(target.table);
  const rowVersions = { old: 'old', new: 'new' };
  for (const option of clause.options ?? []) {
    if (!('ReturningOption' in option) || option.ReturningOption.value === undefined) continue;
    if (option.ReturningOption.option === 'RETURNING_OPTION_OLD') rowVersions.old = option.ReturningOption.value;
    else rowVersions.new = option.ReturningOption.value;
  }
  const versions: Level = {
    items: [rowVersions.old, rowVersions.new].map((refname) => ({ type: 'table', refname, table: target.table, aliased: true })),
    parent: env.level,
  };
  const level: Level = { items: [target, ...others], parent: versions };
  return { columns: targetColumns(clause.exprs, { level, ctes: env.ctes }, c) };
}

const ROW_DEPENDENT = new Set(['ColumnRef', 'CurrentOfExpr']);

/**
 * A WHERE that lets every row through: absent, or not looking at the row at all (`WHERE true`,
 * `WHERE 1=1`, `WHERE $1`), or OR-ed with such a term (`WHERE id = 5 OR 1=1`).
 */
function unfiltered(where: Node | undefined): boolean {
  if (where === undefined) return true;
  const tagged = tagOf(where);
  if (tagged !== undefined && tagged[0] === 'BoolExpr') {
    const args = (tagged[1].args as Node[] | undefined) ?? [];
    if (tagged[1].boolop === 'OR_EXPR') return args.some(unfiltered);
    if (tagged[1].boolop === 'AND_EXPR') return args.every(unfiltered);
  }
  return !containsTag(where, ROW_DEPENDENT);
}
