// Lineage of an expression: which table columns its value derives from. Walking an expression
// also walks the subqueries inside it, so the tables they read are collected on the way.

import type { CaseExpr, ColumnRef, FuncCall, Node, SelectStmt, SubLink } from 'libpg-query';
import type { FilterClause } from './analysis.js';
import { eachChild, eachChildOf, tagOf } from './pg-ast.js';
import type { Collector } from './pg-collector.js';
import { functionFacts, functionName } from './pg-functions.js';
import { Lineage, wholeRow } from './pg-lineage.js';
import { selectQuery } from './pg-query.js';
import { findItem, resolveQualified, resolveUnqualified, wholeRowOf, type Env } from './pg-scope.js';

// Nodes that carry no value from a table.
const VALUELESS = new Set([
  'A_Const',
  'ParamRef',
  'String',
  'Integer',
  'Float',
  'Boolean',
  'BitString',
  'A_Star',
  'TypeName',
  'SQLValueFunction',
  'SetToDefault',
  'CurrentOfExpr',
  'MergeSupportFunc',
  'GroupingFunc',
]);

// Nodes whose value derives from their children only (operators, casts, constructors, ...).
const PASS_THROUGH = new Set([
  'TypeCast',
  'A_Expr',
  'BoolExpr',
  'CaseExpr',
  'CaseWhen',
  'CoalesceExpr',
  'MinMaxExpr',
  'NullTest',
  'BooleanTest',
  'RowExpr',
  'RowCompareExpr',
  'A_ArrayExpr',
  'A_Indirection',
  'A_Indices',
  'CollateClause',
  'NamedArgExpr',
  'List',
  'ResTarget',
  'MultiAssignRef',
  'SortBy',
  'WindowDef',
  'GroupingSet',
  'XmlExpr',
  'XmlSerialize',
  'JsonValueExpr',
  'JsonKeyValue',
  'JsonObjectConstructor',
  'JsonArrayConstructor',
  'JsonArrayQueryConstructor',
  'JsonObjectAgg',
  'JsonArrayAgg',
  'JsonAggConstructor',
  'JsonParseExpr',
  'JsonScalarExpr',
  'JsonSerializeExpr',
  'JsonFuncExpr',
  'JsonIsPredicate',
  'JsonOutput',
  'JsonReturning',
  'JsonFormat',
  'JsonBehavior',
  'JsonArgument',
]);

/** Lineage of an expression node; anything unknown is opaque (with whatever its children give). */
export function exprLineage(node: Node | undefined, env: Env, c: Collector): Lineage {
  const tagged = tagOf(node);
  if (tagged === undefined) return new Lineage();
  const [tag, body] = tagged;
  switch (tag) {
    case 'ColumnRef':
      return columnRefLineage(body as ColumnRef, env);
    case 'FuncCall':
      return funcCallLineage(body as FuncCall, env, c);
    case 'SubLink':
      return subLinkLineage(body as SubLink, env, c);
    case 'SelectStmt':
      return wholeRow(selectQuery(body as SelectStmt, env, c));
    case 'CaseExpr': {
      // The conditions choose the value (and can make the statement fail on purpose): a use, not a value.
      const b = body as CaseExpr;
      walkExprs(b.arg, env, c, 'condition');
      const out = new Lineage();
      for (const when of b.args ?? []) {
        const w = 'CaseWhen' in when ? when.CaseWhen : undefined;
        if (w === undefined) continue;
        walkExprs(w.expr, env, c, 'condition');
        out.add(exprLineage(w.result, env, c));
      }
      return out.add(exprLineage(b.defresult, env, c));
    }
  }
  if (VALUELESS.has(tag)) return new Lineage();
  const out = new Lineage();
  eachChildOf(body, (child) => out.add(exprLineage(child, env, c)));
  if (!PASS_THROUGH.has(tag)) out.markOpaque();
  return out;
}

/**
 * Walks expressions that are not output values (WHERE, GROUP BY, ...) for the tables their
 * subqueries read; with a clause, every column they read is noted as used there.
 */
export function walkExprs(value: unknown, env: Env, c: Collector, clause?: FilterClause): void {
  eachChild(value, (node) => {
    const lineage = exprLineage(node, env, c);
    if (clause !== undefined) c.filter(lineage, clause);
  });
}

function columnRefLineage(ref: ColumnRef, env: Env): Lineage {
  const fields = ref.fields ?? [];
  const names: string[] = [];
  for (const field of fields) if ('String' in field) names.push(field.String.sval ?? '');
  const star = fields.length > 0 && 'A_Star' in fields[fields.length - 1]!;
  if (star) {
    // `t.*` or `*` used as a value: the whole row.
    if (names.length === 0) {
      const items = env.level?.items ?? [];
      return items.length === 0 ? Lineage.opaque() : items.map(wholeRowOf).reduce((a, b) => a.add(b), new Lineage());
    }
    const item = findItem(env.level, names);
    return item === undefined ? Lineage.opaque() : wholeRowOf(item);
  }
  if (names.length === 1) return resolveUnqualified(env.level, names[0]!);
  // `a.b` is table a's column b if some item is named a, else field b of a composite column a
  // (the parser's order); `a.b.c` is schema a's table b first, then table a's column b.
  for (let split = names.length - 1; split >= 1; split--) {
    const lineage = resolveQualified(env.level, names.slice(0, split), names[split]!);
    if (lineage !== undefined) return lineage;
  }
  return resolveUnqualified(env.level, names[0]!);
}

function funcCallLineage(call: FuncCall, env: Env, c: Collector): Lineage {
  const out = new Lineage();
  for (const arg of call.args ?? []) out.add(exprLineage(arg, env, c));
  // ORDER BY, FILTER and OVER choose and order the values but add none of their own, except
  // in an ordered-set aggregate: mode() / percentile_disc(...) WITHIN GROUP (ORDER BY x) return
  // a value of x.
  if (call.agg_within_group === true) out.add(exprLineage({ List: { items: call.agg_order ?? [] } }, env, c));
  else walkExprs(call.agg_order, env, c, 'order-by');
  walkExprs(call.agg_filter, env, c, 'aggregate');
  walkExprs(call.over, env, c, 'window');
  const fn = functionName(call);
  if (!functionFacts(fn).traceable) out.markOpaque();
  // How many rows a set-returning function returns tells of its arguments, whatever the rows hold.
  if (SET_RETURNING.has(fn.name) && (fn.schema === undefined || fn.schema === 'pg_catalog')) c.filter(out, 'set-returning');
  // A count is a number of rows, never a value: what it counted is not in it, but it tells
  // how many rows (or distinct values) there are, so its arguments are used as a filter is.
  if (COUNTS.has(fn.name) && (fn.schema === undefined || fn.schema === 'pg_catalog') && !out.opaque) {
    c.filter(out, 'aggregate');
    return new Lineage();
  }
  return out;
}

const COUNTS = new Set(['count', 'regr_count']);

const SET_RETURNING = new Set(
  `generate_series generate_subscripts unnest regexp_matches regexp_split_to_table string_to_table
  json_array_elements json_array_elements_text jsonb_array_elements jsonb_array_elements_text json_each
  json_each_text jsonb_each jsonb_each_text json_object_keys jsonb_object_keys json_populate_recordset
  jsonb_populate_recordset json_to_recordset jsonb_to_recordset jsonb_path_query ts_stat ts_parse ts_debug
  pg_options_to_table`.split(/\s+/),
);

function subLinkLineage(link: SubLink, env: Env, c: Collector): Lineage {
  const select = tagOf(link.subselect);
  const shape = select === undefined ? undefined : selectQuery(select[1] as SelectStmt, env, c);
  const test = exprLineage(link.testexpr, env, c);
  if (shape === undefined) return test.markOpaque();
  switch (link.subLinkType) {
    case 'EXISTS_SUBLINK':
      return test;
    case 'EXPR_SUBLINK':
    case 'ARRAY_SUBLINK': {
      const first = shape.columns[0];
      if (first === undefined) return Lineage.opaque();
      return first.star === true ? first.lineage.clone().markOpaque() : first.lineage.clone();
    }
    default:
      // ANY / ALL / row comparisons / UPDATE ... SET (a, b) = (SELECT ...)
      return test.add(wholeRow(shape));
  }
}

