// Walking a MySQL query tree (node-sql-parser): the relations in scope, the output columns and
// their lineage, and every table, function and flag met anywhere in it. Lineage semantics are
// PostgreSQL's (src/sql/pg-lineage.ts): more sources rather than fewer, opaque when unsure.

import type { FilterClause } from './analysis.js';
import { isNode, nameOf, nodes, tableOf, type AstNode, type MysqlCollector } from './mysql-ast.js';
import { flagOf, isTraced } from './mysql-functions.js';
import type { NamedTable } from './pg-catalog.js';
import { Lineage, WHOLE_ROW, combineBranches, hasStar, renameColumns, union, wholeRow, type RelColumn, type RelShape } from './pg-lineage.js';

interface Relation {
  /** The name a qualified column uses: the alias, else the table name. */
  alias: string;
  table?: NamedTable;
  shape?: RelShape;
}

export class Scope {
  readonly relations: Relation[] = [];
  readonly ctes = new Map<string, RelShape>();

  constructor(readonly parent?: Scope) {}

  cte(name: string): RelShape | undefined {
    return this.ctes.get(name) ?? this.parent?.cte(name);
  }
}

/** Names an expression column from the text the parser saw (literals as `?`). */
export type Namer = (node: AstNode) => string | undefined;

export interface QueryContext {
  c: MysqlCollector;
  name: Namer;
  /** Values of the statement's string literals: an alias equal to one may have been written as one. */
  strings: ReadonlySet<string>;
}

const MAX_DEPTH = 200;

/** Output columns of a SELECT (with its UNION branches), collecting everything it touches. */
export function walkSelect(ast: AstNode, parent: Scope | undefined, q: QueryContext, depth = 0): RelShape {
  if (depth > MAX_DEPTH) throw new Error('query nested too deeply');
  const branches: RelShape[] = [];
  let compares = false;
  for (let branch: AstNode | undefined = ast; branch !== undefined; branch = isNode(branch._next) ? branch._next : undefined) {
    branches.push(walkBranch(branch, parent, q, depth));
    // UNION [DISTINCT], INTERSECT, EXCEPT compare the rows' values; UNION ALL does not.
    if (isNode(branch._next) && typeof branch.set_op === 'string' && !/\ball$/i.test(branch.set_op.trim())) compares = true;
  }
  const shape = branches.length === 1 ? branches[0]! : combineBranches(branches);
  if (compares) for (const column of shape.columns) q.c.filter(column.lineage, 'set-operation');
  return shape;
}

function walkBranch(ast: AstNode, parent: Scope | undefined, q: QueryContext, depth: number): RelShape {
  const scope = new Scope(parent);
  // WITH RECURSIVE lets every CTE of the clause name itself; without it, a CTE's own name in its
  // body is an outer CTE or a table.
  const recursive = nodes(ast.with).some((cte) => cte.recursive === true);
  for (const cte of nodes(ast.with)) walkCte(cte, scope, q, depth, recursive);
  walkFrom(ast.from, scope, q, depth);
  const columns: RelColumn[] = [];
  for (const column of nodes(ast.columns)) columns.push(...selectItem(column, scope, q, depth));
  q.c.filter(expr(ast.where, scope, q, depth), 'where');
  q.c.filter(expr(ast.qualify, scope, q, depth), 'where');
  q.c.filter(expr(ast.window, scope, q, depth), 'window');
  // GROUP BY, HAVING and ORDER BY may name an output column by alias or position.
  const groupBy = isNode(ast.groupby) ? ast.groupby.columns : ast.groupby;
  byOutput(groupBy, columns, scope, q, depth, 'group-by');
  byOutput(ast.having, columns, scope, q, depth, 'having');
  byOutput(ast.orderby, columns, scope, q, depth, 'order-by');
  if (typeof ast.distinct === 'string' && ast.distinct.toUpperCase() === 'DISTINCT') {
    for (const column of columns) q.c.filter(column.lineage, 'distinct');
  }
  const into = isNode(ast.into) ? ast.into : undefined;
  const keyword = typeof into?.keyword === 'string' ? into.keyword.toUpperCase() : undefined;
  if (keyword === 'OUTFILE' || keyword === 'DUMPFILE') q.c.flags.add('server-file-access');
  if (ast.locking_read !== null && ast.locking_read !== undefined) q.c.flags.add('locking-read');
  return { columns };
}

/** Uses in a clause that may name output columns: `ORDER BY 2`, `HAVING alias > 1`. */
function byOutput(value: unknown, columns: readonly RelColumn[], scope: Scope, q: QueryContext, depth: number, clause: FilterClause): void {
  const visit = (node: unknown, top: boolean): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item, top);
      return;
    }
    if (!isNode(node)) return;
    if (top && isNode(node.expr) && (typeof node.type !== 'string' || /^(asc|desc)$/i.test(node.type))) {
      visit(node.expr, true); // ORDER BY item
      return;
    }
    if (top && node.type === 'number' && typeof node.value === 'number') {
      q.c.cacheable = false; // the position is a literal the shape cache does not keep
      const known = !columns.slice(0, node.value).some((column) => column.star === true);
      const column = known ? columns[node.value - 1] : undefined;
      q.c.filter(column?.lineage ?? union(columns.map((c) => c.lineage)), clause);
      return;
    }
    aliases(node);
    q.c.filter(expr(node, scope, q, depth), clause);
  };
  // Unqualified names anywhere in the item (not inside subqueries) may be output aliases.
  const aliases = (node: unknown): void => {
    if (Array.isArray(node)) for (const item of node) aliases(item);
    if (!isNode(node) || node.type === 'select' || isNode(node.ast)) return;
    if (node.type === 'column_ref' && nameOf(node.table) === undefined) {
      const name = nameOf(node.column)?.toLowerCase();
      for (const column of columns) if (column.star !== true && column.name.toLowerCase() === name) q.c.filter(column.lineage, clause);
      return;
    }
    for (const key in node) if (key !== 'loc') aliases(node[key]);
  };
  visit(value, true);
}

function walkCte(cte: AstNode, scope: Scope, q: QueryContext, depth: number, recursive: boolean): void {
  const name = nameOf(cte.name);
  const stmt = isNode(cte.stmt) ? cte.stmt : undefined;
  const ast = stmt !== undefined && isNode(stmt.ast) ? stmt.ast : undefined;
  if (name === undefined || ast === undefined) throw new Error('unexpected WITH clause');
  q.c.cteNames.add(name);
  const names = (Array.isArray(cte.columns) ? cte.columns : []).map((column: unknown) => (isNode(column) && column.type === 'column_ref' ? nameOf(column.column) : nameOf(column)) ?? '?');
  if (!recursive) {
    scope.ctes.set(name, renameColumns(walkSelect(ast, scope, q, depth + 1), names));
    return;
  }
  // A recursive CTE reads itself: iterate from "no columns known yet" to a fixed point.
  let shape: RelShape = { columns: [] };
  for (let round = 0; round < 8; round++) {
    scope.ctes.set(name, shape);
    q.c.cteUses.delete(name);
    const next = renameColumns(walkSelect(ast, scope, q, depth + 1), names);
    // Not recursive (it never named itself): one walk is enough.
    if (!q.c.cteUses.has(name) || signature(next) === signature(shape)) {
      shape = next;
      break;
    }
    shape = next;
    if (round === 7) shape = { columns: shape.columns.map((column) => ({ ...column, lineage: column.lineage.clone().markOpaque() })) };
  }
  scope.ctes.set(name, shape);
}

const signature = (shape: RelShape): string =>
  shape.columns.map((column) => `${column.name}:${column.lineage.opaque}:${[...column.lineage.sources.keys()].sort().join(',')}`).join('|');

function walkFrom(from: unknown, scope: Scope, q: QueryContext, depth: number): void {
  for (const item of nodes(from)) {
    if (item.type === 'dual') continue;
    const alias = nameOf(item.as);
    const derived = isNode(item.expr) && isNode(item.expr.ast) ? item.expr.ast : undefined;
    if (derived !== undefined) {
      // Derived tables see the outer query only when LATERAL; passing it only adds sources.
      const shape = walkSelect(derived, scope, q, depth + 1);
      scope.relations.push({ alias: alias ?? '', shape });
    } else {
      const table = tableOf(item);
      if (table === undefined) throw new Error(`unexpected FROM item ${String(item.type ?? '')}`);
      const cte = table.schema === undefined ? scope.cte(table.name) : undefined;
      if (cte !== undefined) {
        q.c.cteUses.add(table.name);
        scope.relations.push({ alias: alias ?? table.name, shape: cte });
      }
      else {
        q.c.read(table);
        scope.relations.push({ alias: alias ?? table.name, table });
      }
    }
    q.c.filter(expr(item.on, scope, q, depth), 'join');
    // USING (a, b): the named columns of this item and of the items before it are compared.
    for (const name of nodes(item.using).map((using) => nameOf(using)).filter((name) => name !== undefined)) {
      const [self, ...before] = [...scope.relations].reverse();
      for (const relation of [self, ...before]) if (relation !== undefined) q.c.filter(columnOf(relation, name), 'join');
    }
  }
}

function selectItem(column: AstNode, scope: Scope, q: QueryContext, depth: number): RelColumn[] {
  const node = isNode(column.expr) ? column.expr : column;
  const alias = nameOf(column.as);
  if (node.type === 'column_ref' && nameOf(node.column) === '*') {
    const qualifier = nameOf(node.table);
    const relations = qualifier === undefined ? scope.relations : scope.relations.filter((relation) => matches(relation, qualifier));
    if (relations.length === 0) return [{ name: '*', lineage: Lineage.opaque(), star: true }];
    return relations.flatMap(expand);
  }
  const lineage = expr(node, scope, q, depth);
  // `SELECT a 'name'`: the column's name is a literal's value, which the cache key does not hold.
  if (alias !== undefined && q.strings.has(alias)) q.c.cacheable = false;
  const name = alias ?? (node.type === 'column_ref' ? nameOf(node.column) : undefined) ?? q.name(node) ?? '?column?';
  return [{ name, lineage }];
}

/** The columns `*` stands for over one relation: known columns, else one opaque `*`. */
function expand(relation: Relation): RelColumn[] {
  if (relation.shape !== undefined && !hasStar(relation.shape)) return relation.shape.columns.map((column) => ({ ...column, lineage: column.lineage.clone() }));
  const lineage = relation.table !== undefined ? Lineage.of(relation.table, WHOLE_ROW) : wholeRow(relation.shape!);
  return [{ name: WHOLE_ROW, lineage: lineage.markOpaque(), star: true }];
}

const matches = (relation: Relation, qualifier: string): boolean => relation.alias === qualifier;

function findRelation(scope: Scope, qualifier: string): Relation | undefined {
  for (let level: Scope | undefined = scope; level !== undefined; level = level.parent) {
    const found = level.relations.find((relation) => matches(relation, qualifier));
    if (found !== undefined) return found;
  }
  // Table aliases are case-sensitive on most servers, but fall back rather than lose a source.
  for (let level: Scope | undefined = scope; level !== undefined; level = level.parent) {
    const found = level.relations.find((relation) => relation.alias.toLowerCase() === qualifier.toLowerCase());
    if (found !== undefined) return found;
  }
  return undefined;
}

function columnOf(relation: Relation, column: string): Lineage {
  if (relation.table !== undefined) return Lineage.of(relation.table, column);
  const shape = relation.shape!;
  const found = shape.columns.find((candidate) => candidate.star !== true && candidate.name.toLowerCase() === column.toLowerCase());
  if (found !== undefined) return found.lineage.clone();
  // Not among the known columns: behind a `*`, or a recursive CTE still being worked out.
  return hasStar(shape) ? wholeRow(shape).markOpaque() : shape.columns.length === 0 ? new Lineage() : Lineage.opaque();
}

function resolveColumn(ref: AstNode, scope: Scope): Lineage {
  const column = nameOf(ref.column);
  if (column === undefined) return Lineage.opaque();
  const qualifier = nameOf(ref.table);
  // node-sql-parser reads the operator `BINARY x` as a column named BINARY aliased x, while the
  // server runs CAST(x AS BINARY): the gateway would decide on another statement than the one that runs.
  if (qualifier === undefined && column.toLowerCase() === 'binary') throw new Error('the BINARY operator is not supported here: write CAST(x AS BINARY), or qualify a column named binary');
  if (qualifier !== undefined) {
    const relation = findRelation(scope, qualifier);
    return relation === undefined ? Lineage.opaque() : columnOf(relation, column);
  }
  // Unqualified: without a catalog it may belong to any relation that could have it, here or in
  // an outer query, unless a derived table in the nearest scope is known to have it.
  const out = new Lineage();
  let any = false;
  for (let level: Scope | undefined = scope; level !== undefined; level = level.parent) {
    const definite = level.relations.filter(
      (relation) => relation.shape !== undefined && relation.shape.columns.some((c) => c.star !== true && c.name.toLowerCase() === column.toLowerCase()),
    );
    // A recursive CTE's placeholder (no columns yet) contributes nothing until the next round.
    const possible = level.relations.filter(
      (relation) => relation.table !== undefined || (relation.shape !== undefined && (hasStar(relation.shape) || relation.shape.columns.length === 0)),
    );
    if (definite.length === 1 && possible.length === 0) return any ? out.add(columnOf(definite[0]!, column)) : columnOf(definite[0]!, column);
    for (const relation of [...definite, ...possible]) {
      out.add(columnOf(relation, column));
      any = true;
    }
    if (definite.length > 0 && possible.length === 0) return out;
  }
  return any ? out : Lineage.opaque();
}

const CONSTANT_TYPES = new Set([
  'number', 'bigint', 'single_quote_string', 'double_quote_string', 'string', 'hex_string', 'full_hex_string',
  'bit_string', 'natural_string', 'bool', 'boolean', 'null', 'param', 'default', 'origin', 'datatype', 'star',
  'date', 'time', 'timestamp', 'datetime', 'var_string',
]);

/** Lineage of an expression; walks every subquery, function and table in it. */
export function expr(value: unknown, scope: Scope, q: QueryContext, depth = 0): Lineage {
  if (depth > MAX_DEPTH) throw new Error('expression nested too deeply');
  if (Array.isArray(value)) {
    const out = new Lineage();
    for (const item of value) out.add(expr(item, scope, q, depth + 1));
    return out;
  }
  if (!isNode(value)) return new Lineage();
  if (isNode(value.ast) && value.ast.type === 'select') {
    // A subquery: its values are those of its columns.
    return wholeRow(walkSelect(value.ast, scope, q, depth + 1));
  }
  const type = typeof value.type === 'string' ? value.type : undefined;
  switch (type) {
    case 'column_ref':
      return nameOf(value.column) === '*' ? wholeRowOfScope(value, scope) : resolveColumn(value, scope);
    case 'var':
      // A user variable may hold anything an earlier statement put there; system variables are settings.
      if (value.prefix === '@@') return new Lineage();
      q.c.flags.add('variable-read');
      return Lineage.opaque();
    case 'binary_expr':
      return expr(value.left, scope, q, depth + 1).add(expr(value.right, scope, q, depth + 1));
    case 'unary_expr':
    case 'cast':
    case 'interval':
      return expr(value.expr, scope, q, depth + 1);
    case 'expr_list':
      return expr(value.value, scope, q, depth + 1);
    // The conditions choose the value (and can make the statement fail on purpose): a use, not a value.
    case 'case':
      q.c.filter(expr(value.expr, scope, q, depth + 1), 'condition');
      return expr(value.args, scope, q, depth + 1);
    case 'when':
      q.c.filter(expr(value.cond, scope, q, depth + 1), 'condition');
      return expr(value.result, scope, q, depth + 1);
    case 'else':
      return expr(value.result, scope, q, depth + 1);
    case 'assign': {
      // `@v := expr`: the value outlives the statement, out of masking's sight.
      q.c.flags.add('variable-assignment');
      expr(value.left, scope, q, depth + 1);
      const right = expr(value.right, scope, q, depth + 1);
      // A user variable keeps the value for later statements, which read no table: unmasked.
      if (isNode(value.left) && value.left.type === 'var' && value.left.prefix !== '@@') q.c.filter(right, 'variable');
      return right;
    }
    case 'function':
    case 'aggr_func':
      return call(value, scope, q, depth);
    case 'select':
      return wholeRow(walkSelect(value, scope, q, depth + 1));
    case undefined:
      if ('expr' in value && Object.keys(value).every((key) => ['expr', 'as', 'type', 'loc', 'order_by', 'nulls'].includes(key))) {
        return expr(value.expr, scope, q, depth + 1); // ORDER BY items and similar wrappers
      }
      if ('keyword' in value && 'value' in value && Object.keys(value).every((key) => ['keyword', 'value', 'loc'].includes(key))) {
        return expr(value.value, scope, q, depth + 1); // SEPARATOR ','
      }
      break;
    default:
      if (CONSTANT_TYPES.has(type)) return new Lineage();
  }
  // Anything else: collect what is inside it, and do not vouch for the result.
  const out = new Lineage();
  for (const key in value) if (key !== 'loc') out.add(expr(value[key], scope, q, depth + 1));
  return out.markOpaque();
}

function wholeRowOfScope(ref: AstNode, scope: Scope): Lineage {
  const qualifier = nameOf(ref.table);
  const relations = qualifier === undefined ? scope.relations : scope.relations.filter((relation) => matches(relation, qualifier));
  // count(*) carries no values; t.* inside an expression carries the whole row.
  if (qualifier === undefined) return new Lineage();
  const out = new Lineage();
  for (const relation of relations) for (const column of expand(relation)) out.add(column.lineage);
  return relations.length === 0 ? Lineage.opaque() : out;
}

export function functionName(node: AstNode): string {
  if (typeof node.name === 'string') return node.name.toLowerCase();
  const name = isNode(node.name) ? node.name : undefined;
  const parts = nodes(name?.name).map((part) => nameOf(part) ?? '');
  const schema = name !== undefined ? nameOf(name.schema) : undefined;
  return [...(schema === undefined ? [] : [schema]), ...parts].join('.').toLowerCase();
}

function call(node: AstNode, scope: Scope, q: QueryContext, depth: number): Lineage {
  const name = functionName(node);
  q.c.functions.add(name);
  const flag = flagOf(name.split('.').at(-1)!);
  if (flag !== undefined) q.c.flags.add(flag);
  const args = isNode(node.args) ? node.args : undefined;
  const lineage = new Lineage();
  if (args !== undefined) {
    // aggr_func: { expr, distinct, orderby, separator }; function: expr_list.
    if (args.type === 'expr_list') lineage.add(expr(args.value, scope, q, depth + 1));
    else {
      for (const key in args) {
        if (key === 'loc') continue;
        // ORDER BY inside an aggregate orders its values; it adds none (as in PostgreSQL's lineage).
        const part = expr(args[key], scope, q, depth + 1);
        if (key !== 'orderby') lineage.add(part);
        else q.c.filter(part, 'order-by');
      }
    }
  } else lineage.add(expr(node.args, scope, q, depth + 1));
  q.c.filter(expr(node.over, scope, q, depth + 1), 'window');
  if (name === 'exists') return new Lineage(); // a boolean: carries no values of the subquery
  return isTraced(name) ? lineage : lineage.markOpaque();
}
