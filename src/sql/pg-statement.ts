// One top-level statement of a parse tree → its template: kind, tables, functions, flags,
// LIMIT, lineage and search_path change, with literal-dependent facts tied to their literals.

import type { CopyStmt, DefElem, Node, SelectStmt } from 'libpg-query';
import type { RiskFlag, SessionObjectEffect, StatementKind } from './analysis.js';
import { namedTable, strings, tagOf } from './pg-ast.js';
import { Collector } from './pg-collector.js';
import { walkExprs } from './pg-expr.js';
import { checkParserSettings } from './pg-integrity.js';
import { AGGREGATES, functionName } from './pg-functions.js';
import { classify, mostConsequential } from './pg-kinds.js';
import { Lineage, WHOLE_ROW, type RelColumn } from './pg-lineage.js';
import type { LiteralLocator } from './pg-literal-locator.js';
import { selectQuery, walkQuery } from './pg-query.js';
import { searchPathOfSet } from './pg-search-path.js';
import type { StatementTemplate, ValueRef } from './pg-template.js';
import { scanFunctions, settingOfSet, walkUtility } from './pg-utility.js';

export interface BuiltStatement {
  template: StatementTemplate;
  cacheable: boolean;
}

const DML_KINDS: Record<string, StatementKind> = {
  InsertStmt: 'insert',
  UpdateStmt: 'update',
  DeleteStmt: 'delete',
  MergeStmt: 'merge',
};

const QUERY_PLAN: RelColumn[] = [{ name: 'QUERY PLAN', lineage: new Lineage() }];

/** Rows of unknown shape: a FETCH from a cursor, EXECUTE of a prepared statement, CALL. */
const unknownRows = (): RelColumn[] => [{ name: WHOLE_ROW, lineage: Lineage.opaque(), star: true }];

export function buildStatement(node: Node, locator: LiteralLocator): BuiltStatement {
  const [tag, body] = tagOf(node) ?? ['', {}];
  if ('ExplainStmt' in node) return explain(node.ExplainStmt.query, node.ExplainStmt.options, locator);
  if ('PrepareStmt' in node) return prepare(node.PrepareStmt.name ?? '', node.PrepareStmt.query, locator);
  const c = new Collector(locator);
  checkParserSettings(node, c);
  const base = classify(tag, body);
  for (const flag of base.flags) c.flags.add(flag);
  let kind = base.kind;
  let columns: RelColumn[] | undefined;
  let limit: ValueRef<number> | undefined;
  let setsSearchPath: ValueRef<string>[] | undefined;
  let sessionObject: SessionObjectEffect | undefined;
  const settings: string[] = [];

  if ('SelectStmt' in node) {
    const shape = selectQuery(node.SelectStmt, {}, c);
    if (node.SelectStmt.intoClause === undefined) [columns, limit] = [shape.columns, limitOf(node.SelectStmt, c)];
  } else if ('InsertStmt' in node || 'UpdateStmt' in node || 'DeleteStmt' in node || 'MergeStmt' in node) {
    columns = walkQuery(node, {}, c)?.columns;
  } else if ('CopyStmt' in node) {
    [columns, limit] = copy(node.CopyStmt, c);
  } else if ('DeclareCursorStmt' in node) {
    // A cursor is what its query is; the columns are those a later FETCH returns.
    const query = node.DeclareCursorStmt.query;
    const hold = ((node.DeclareCursorStmt.options ?? 0) & CURSOR_OPT_HOLD) !== 0;
    sessionObject = { object: 'cursor', action: 'create', name: node.DeclareCursorStmt.portalname ?? '', hold };
    columns = walkQuery(query, {}, c)?.columns;
    kind = query !== undefined && 'SelectStmt' in query ? 'select' : kind;
    limit = query !== undefined && 'SelectStmt' in query ? limitOf(query.SelectStmt, c) : undefined;
  } else if ('VariableSetStmt' in node) {
    setsSearchPath = searchPathOfSet(node.VariableSetStmt, c);
    const setting = settingOfSet(node.VariableSetStmt);
    if (setting !== undefined) settings.push(setting);
  } else if ('DiscardStmt' in node) {
    if (node.DiscardStmt.target === 'DISCARD_ALL') {
      setsSearchPath = [];
      sessionObject = { object: 'all', action: 'drop' };
    }
  } else if ('DeallocateStmt' in node) {
    const name = node.DeallocateStmt.isall === true ? undefined : node.DeallocateStmt.name;
    sessionObject = { object: 'prepared-statement', action: 'drop', ...(name === undefined ? {} : { name }) };
  } else if ('ClosePortalStmt' in node) {
    const name = node.ClosePortalStmt.portalname; // undefined: CLOSE ALL
    sessionObject = { object: 'cursor', action: 'drop', ...(name === undefined ? {} : { name }) };
  } else if ('VariableShowStmt' in node) {
    const name = node.VariableShowStmt.name ?? '';
    const names = name === 'all' ? ['name', 'setting', 'description'] : [name];
    columns = names.map((column) => ({ name: column, lineage: new Lineage() }));
  } else if ('FetchStmt' in node) {
    // The rows are the cursor's: the session matches them to the DECLARE the server confirmed.
    if (node.FetchStmt.ismove !== true) {
      columns = unknownRows();
      sessionObject = { object: 'cursor', action: 'read', name: node.FetchStmt.portalname ?? '' };
    }
  } else if ('ExecuteStmt' in node || 'CallStmt' in node) {
    walkExprs(body, {}, c);
    columns = unknownRows();
  } else {
    walkUtility(node, c);
  }

  const scan = scanFunctions(node, c);
  setsSearchPath = scan.setsSearchPath ?? setsSearchPath;
  const template: StatementTemplate = {
    kind: mostConsequential(kind, c.nestedEffects),
    command: base.command,
    tablesRead: [...c.reads.values()],
    tablesWritten: [...c.writes.values()],
    functions: scan.functions,
    flags: [...c.flags],
  };
  if (limit !== undefined) template.limit = limit;
  if (columns !== undefined) template.columns = columns.map((column) => column.lineage.toTemplate(column.name));
  template.filterColumns = [...c.filters.values()];
  if (setsSearchPath !== undefined) template.setsSearchPath = setsSearchPath;
  if (sessionObject !== undefined) template.sessionObject = sessionObject;
  for (const setting of scan.settings) if (!settings.includes(setting)) settings.push(setting);
  if (settings.length > 0) template.settings = settings;
  return { template, cacheable: c.cacheable };
}

/** DECLARE ... WITH HOLD (PostgreSQL's parsenodes.h, CURSOR_OPT_HOLD). */
const CURSOR_OPT_HOLD = 0x0020;

/**
 * SQL-level PREPARE is decided as the statement it prepares (a `PREPARE w AS UPDATE ...` is an
 * update), and returns no rows itself. Its name is a server-side statement the client can Bind
 * to, so the session must know the name changed.
 */
function prepare(name: string, query: Node | undefined, locator: LiteralLocator): BuiltStatement {
  const inner = query === undefined ? undefined : buildStatement(query, locator);
  const sessionObject: SessionObjectEffect = { object: 'prepared-statement', action: 'create', name };
  if (inner === undefined) {
    return { template: { kind: 'session', command: 'PREPARE', tablesRead: [], tablesWritten: [], functions: [], flags: [], sessionObject }, cacheable: true };
  }
  const { columns: _columns, setsSearchPath: _path, ...rest } = inner.template;
  return { template: { ...rest, command: 'PREPARE', sessionObject }, cacheable: inner.cacheable };
}

/**
 * EXPLAIN is read-only unless it ANALYZEs, which runs the statement: then it is that
 * statement, flagged. A plain EXPLAIN lists what it plans over as read, writes nothing.
 */
function explain(query: Node | undefined, options: Node[] | undefined, locator: LiteralLocator): BuiltStatement {
  const c = new Collector(locator);
  const analyze = explainAnalyzes(options, c);
  const inner = query === undefined ? undefined : buildStatement(query, locator);
  const cacheable = c.cacheable && (inner?.cacheable ?? true);
  const plan = QUERY_PLAN.map((column) => column.lineage.toTemplate(column.name));
  const t = inner?.template;
  if (t !== undefined && analyze) {
    const flags: RiskFlag[] = [...t.flags, 'explain-analyze'];
    const { limit: _limit, setsSearchPath: _path, ...rest } = t;
    return { template: { ...rest, command: 'EXPLAIN ANALYZE', flags, columns: plan }, cacheable };
  }
  const template: StatementTemplate = {
    kind: 'explain',
    command: 'EXPLAIN',
    tablesRead: t === undefined ? [] : [...t.tablesRead, ...t.tablesWritten],
    tablesWritten: [],
    functions: t?.functions ?? [],
    flags: t?.flags ?? [],
    columns: plan,
    // The plan's row estimates answer for the filters of the statement it explains.
    filterColumns: t?.filterColumns ?? [],
  };
  return { template, cacheable };
}

const FALSE_WORDS = new Set(['false', 'off', 'no', '0']);

/**
 * Whether EXPLAIN's options turn ANALYZE on. An explicit value (`ANALYZE 'off'`, `ANALYZE 0`)
 * may be a literal, which the shape does not show: such a statement is not cached.
 */
function explainAnalyzes(options: Node[] | undefined, c: Collector): boolean {
  let analyze = false;
  for (const option of options ?? []) {
    if (!('DefElem' in option)) continue;
    const { defname, arg } = option.DefElem as DefElem;
    if (defname !== 'analyze' && defname !== 'analyse') continue;
    if (arg === undefined) {
      analyze = true;
      continue;
    }
    c.cacheable = false;
    let off = false;
    if ('String' in arg) off = FALSE_WORDS.has((arg.String.sval ?? '').toLowerCase());
    else if ('Boolean' in arg) off = arg.Boolean.boolval !== true;
    else if ('Integer' in arg) off = (arg.Integer.ival ?? 0) === 0;
    if (!off) analyze = true;
  }
  return analyze;
}

/** The outermost LIMIT / FETCH FIRST when a constant, as "literal #k" when it is one. */
function limitOf(select: SelectStmt, c: Collector): ValueRef<number> | undefined {
  if (select.limitOption === 'LIMIT_OPTION_WITH_TIES') return undefined; // may return more rows
  const count = select.limitCount;
  if (count === undefined && returnsOneRow(select)) return { value: 1 };
  if (count === undefined || !('A_Const' in count)) return undefined;
  const constant = count.A_Const;
  if (constant.isnull === true) return undefined; // LIMIT ALL, LIMIT NULL
  let value: number | undefined;
  if (constant.ival !== undefined) value = constant.ival.ival ?? 0;
  else if (constant.fval !== undefined) value = Number(constant.fval.fval);
  if (value === undefined || !Number.isFinite(value)) return undefined;
  if (constant.location === undefined || constant.location < 0) return { value }; // FETCH FIRST ROW ONLY
  const index = c.locator.literalAt(constant.location);
  const kind = index === undefined ? undefined : c.locator.literal(index)?.kind;
  if (kind === 'integer' || kind === 'numeric') return { literal: index, value };
  c.cacheable = false; // e.g. LIMIT -5: the constant starts at the sign, not at a literal
  return { value };
}

/** COPY: the table or query it moves; columns only when rows go to the client. */
function copy(statement: CopyStmt, c: Collector): [RelColumn[] | undefined, ValueRef<number> | undefined] {
  let columns: RelColumn[] | undefined;
  let limit: ValueRef<number> | undefined;
  const query = statement.query;
  if (query !== undefined) {
    columns = walkQuery(query, {}, c)?.columns;
    // COPY (DELETE ... RETURNING *) TO STDOUT deletes.
    const effect = DML_KINDS[tagOf(query)?.[0] ?? ''];
    if (effect !== undefined) c.nestedEffects.add(effect);
    if ('SelectStmt' in query) limit = limitOf(query.SelectStmt, c);
  } else if (statement.relation !== undefined) {
    const table = namedTable(statement.relation);
    if (statement.is_from === true) c.write(table);
    else c.read(table);
    const names = strings(statement.attlist);
    columns =
      names.length > 0
        ? names.map((name) => ({ name, lineage: Lineage.of(table, name) }))
        : [{ name: WHOLE_ROW, lineage: Lineage.of(table, WHOLE_ROW).markOpaque(), star: true }];
    const level = { items: [{ type: 'table' as const, refname: table.name, table, aliased: false }] };
    walkExprs(statement.whereClause, { level }, c, 'where');
  }
  const toClient = statement.is_from !== true && statement.filename === undefined && statement.is_program !== true;
  return toClient ? [columns, limit] : [undefined, undefined];
}

/**
 * A plain SELECT whose every output is a built-in aggregate (or a cast of one), with no GROUP
 * BY, returns exactly one row (PostgreSQL docs, "Aggregate Functions"): bounded without a
 * LIMIT. A window (`OVER`) or a set operation does not qualify; nor does any other output, since
 * a set-returning function beside an aggregate multiplies the row.
 */
function returnsOneRow(select: SelectStmt): boolean {
  if (select.op !== undefined && select.op !== 'SETOP_NONE') return false;
  if ((select.groupClause?.length ?? 0) > 0 || select.groupDistinct === true) return false;
  const targets = select.targetList ?? [];
  if (targets.length === 0) return false;
  return targets.every((t) => 'ResTarget' in t && isAggregateCall(t.ResTarget.val));
}

function isAggregateCall(node: Node | undefined): boolean {
  if (node === undefined) return false;
  if ('TypeCast' in node) return isAggregateCall(node.TypeCast.arg);
  if (!('FuncCall' in node)) return false;
  const call = node.FuncCall;
  if (call.over !== undefined) return false;
  const fn = functionName(call);
  return (fn.schema === undefined || fn.schema === 'pg_catalog') && AGGREGATES.has(fn.name);
}
