// FROM items: tables (recorded as read), CTE references, joins, subqueries, functions.

import type { Alias, JoinExpr, Node, RangeFunction, RangeVar } from 'libpg-query';
import { eachChildOf, namedTable, strings, tagOf } from './pg-ast.js';
import type { Collector } from './pg-collector.js';
import { exprLineage, walkExprs } from './pg-expr.js';
import { SINGLE_COLUMN_SETS, functionName } from './pg-functions.js';
import { Lineage, WHOLE_ROW, renameColumns, type RelColumn } from './pg-lineage.js';
import { walkQuery } from './pg-query.js';
import { expandStar, itemColumn, lookupCte, wholeRowOf, type Env, type FromItem } from './pg-scope.js';

/**
 * A FROM item. `scope.level` holds the items before it (what LATERAL may see); a plain subquery
 * sees only the enclosing query's levels.
 */
export function fromItem(node: Node, scope: Env, c: Collector): FromItem {
  if ('RangeVar' in node) return rangeVarItem(node.RangeVar, scope, c);
  if ('JoinExpr' in node) return joinItem(node.JoinExpr, scope, c);
  if ('RangeSubselect' in node) {
    const { lateral, subquery, alias } = node.RangeSubselect;
    const env: Env = lateral === true ? scope : { level: scope.level?.parent, ctes: scope.ctes };
    const shape = walkQuery(subquery, env, c) ?? { columns: [opaqueStar(new Lineage())] };
    return { type: 'relation', refname: alias?.aliasname, shape: renameColumns(shape, strings(alias?.colnames)) };
  }
  if ('RangeFunction' in node) return functionItem(node.RangeFunction, scope, c);
  if ('RangeTableSample' in node) {
    const { relation, args, repeatable } = node.RangeTableSample;
    walkExprs([args, repeatable], scope, c);
    return relation === undefined ? opaqueItem(undefined, new Lineage()) : fromItem(relation, scope, c);
  }
  // XMLTABLE, JSON_TABLE and anything newer: derived from everything inside, opaque.
  const [, body] = tagOf(node) ?? ['', {}];
  const lineage = new Lineage();
  eachChildOf(body, (child) => lineage.add(exprLineage(child, scope, c)));
  return opaqueItem((body.alias as Alias | undefined)?.aliasname, lineage);
}

function opaqueStar(lineage: Lineage): RelColumn {
  return { name: WHOLE_ROW, lineage: lineage.markOpaque(), star: true };
}

function opaqueItem(refname: string | undefined, lineage: Lineage): FromItem {
  return { type: 'relation', refname, shape: { columns: [opaqueStar(lineage)] } };
}

function rangeVarItem(rangeVar: RangeVar, scope: Env, c: Collector): FromItem {
  const name = rangeVar.relname ?? '';
  const alias = rangeVar.alias;
  const aliasColumns = strings(alias?.colnames);
  if (rangeVar.schemaname === undefined && rangeVar.catalogname === undefined) {
    const cte = lookupCte(scope.ctes, name);
    if (cte !== undefined) {
      return { type: 'relation', refname: alias?.aliasname ?? name, shape: renameColumns(cte, aliasColumns) };
    }
  }
  const table = namedTable(rangeVar);
  c.read(table);
  // `t AS x(a, b)` renames t's first columns, whose real names the gateway does not know.
  if (aliasColumns.length > 0) return opaqueItem(alias?.aliasname, Lineage.of(table, WHOLE_ROW));
  return { type: 'table', refname: alias?.aliasname ?? name, table, aliased: alias !== undefined };
}

function joinItem(join: JoinExpr, scope: Env, c: Collector): FromItem {
  const level = scope.level ?? { items: [] };
  const env: Env = { level, ctes: scope.ctes };
  // The right side may be LATERAL and see the left; ON sees both.
  const left = join.larg === undefined ? opaqueItem(undefined, new Lineage()) : fromItem(join.larg, env, c);
  level.items.push(left);
  const right = join.rarg === undefined ? opaqueItem(undefined, new Lineage()) : fromItem(join.rarg, env, c);
  level.items.push(right);
  walkExprs(join.quals, env, c, 'join');
  joinColumns(left, right, strings(join.usingClause), join.isNatural === true, c);
  level.items.splice(level.items.length - 2, 2);
  return {
    type: 'join',
    refname: join.alias?.aliasname ?? join.join_using_alias?.aliasname,
    hidesChildren: join.alias !== undefined,
    children: [left, right],
    using: strings(join.usingClause),
    natural: join.isNatural === true,
  };
}

/**
 * USING / NATURAL compare the named columns of both sides. NATURAL over a side whose columns
 * are unknown (a table: no catalog here) may compare any column, so each whole row counts.
 */
function joinColumns(left: FromItem, right: FromItem, using: readonly string[], natural: boolean, c: Collector): void {
  let names = using;
  if (natural) {
    const known = (item: FromItem): string[] | undefined => {
      const columns = expandStar([item]);
      return columns.some((column) => column.star === true) ? undefined : columns.map((column) => column.name);
    };
    const [l, r] = [known(left), known(right)];
    if (l === undefined || r === undefined) {
      c.filter(wholeRowOf(left).add(wholeRowOf(right)), 'join');
      return;
    }
    names = l.filter((name) => r.includes(name));
  }
  for (const name of names) c.filter(itemColumn(left, name).add(itemColumn(right, name)), 'join');
}

/** Output column name of single-column set-returning functions declared with an OUT name. */
const OUT_COLUMN_NAMES: Record<string, string> = {
  json_array_elements: 'value',
  json_array_elements_text: 'value',
  jsonb_array_elements: 'value',
  jsonb_array_elements_text: 'value',
};

/** `FROM f(...) [AS a(cols)]`, `ROWS FROM (...)`: columns derive from the arguments. */
function functionItem(range: RangeFunction, scope: Env, c: Collector): FromItem {
  const lineage = new Lineage();
  const definedColumns: string[] = [];
  let single: string | undefined;
  const functions = range.functions ?? [];
  for (const entry of functions) {
    const [call, columnDefs] = 'List' in entry ? (entry.List.items ?? []) : [entry];
    lineage.add(exprLineage(call, scope, c));
    definedColumns.push(...columnDefNames(columnDefs));
    if (functions.length === 1 && call !== undefined && 'FuncCall' in call) {
      const fn = functionName(call.FuncCall);
      const oneArgument = fn.name !== 'unnest' || (call.FuncCall.args ?? []).length === 1;
      if (SINGLE_COLUMN_SETS.has(fn.name) && oneArgument) single = OUT_COLUMN_NAMES[fn.name] ?? range.alias?.aliasname ?? fn.name;
    }
  }
  definedColumns.push(...columnDefNames(range.coldeflist));
  let columns: RelColumn[];
  if (definedColumns.length > 0) columns = definedColumns.map((name) => ({ name, lineage: lineage.clone() }));
  else if (single !== undefined) columns = [{ name: single, lineage }];
  else columns = [opaqueStar(lineage)];
  if (range.ordinality === true) columns.push({ name: 'ordinality', lineage: new Lineage() });
  const firstCall = functions[0] !== undefined && 'List' in functions[0] ? functions[0].List.items?.[0] : undefined;
  const callName = firstCall !== undefined && 'FuncCall' in firstCall ? functionName(firstCall.FuncCall).name : undefined;
  const refname = range.alias?.aliasname ?? callName;
  return { type: 'relation', refname, shape: renameColumns({ columns }, strings(range.alias?.colnames)) };
}

function columnDefNames(list: Node | Node[] | undefined): string[] {
  const nodes = Array.isArray(list) ? list : list !== undefined && 'List' in list ? (list.List.items ?? []) : [];
  return nodes.flatMap((node) => ('ColumnDef' in node && node.ColumnDef.colname !== undefined ? [node.ColumnDef.colname] : []));
}
