// One statement parsed by node-sql-parser (MySQL grammar) → its cached template: kind, command,
// tables, functions, flags, LIMIT as "literal #k", output column lineage.

import type { StatementKind } from './analysis.js';
import { MysqlCollector, isNode, nameOf, nodes, tableOf, type AstNode } from './mysql-ast.js';
import type { RenderedStatement } from './mysql-fingerprint.js';
import { Scope, expr, functionName, walkSelect, type QueryContext } from './mysql-query.js';
import { GUARDED_VARIABLES, checkSetting } from './mysql-settings.js';
import { showReads } from './mysql-show.js';
import type { MysqlStatementTemplate } from './mysql-template.js';
import { tableKey, type NamedTable } from './pg-catalog.js';
import { WHOLE_ROW, type RelShape } from './pg-lineage.js';
import type { ColumnTemplate, ValueRef } from './pg-template.js';

export interface ParsedStatement {
  ast: AstNode;
  /** node-sql-parser's own list of tables (`mode::db::table`), a safety net for tablesRead. */
  tableList: readonly string[];
  rendered: RenderedStatement;
}

/** CREATE / DROP keywords whose kind is not `ddl`. */
const DDL_KEYWORDS = new Map<string, StatementKind>([
  ['user', 'dcl'],
  ['role', 'dcl'],
  ['trigger', 'procedural'],
]);

export function buildParsed(parsed: ParsedStatement): { template: MysqlStatementTemplate; cacheable: boolean } {
  const { ast, rendered } = parsed;
  const c = new MysqlCollector();
  const q: QueryContext = { c, name: namer(rendered), strings: stringValues(rendered) };
  const type = String(ast.type ?? '');
  let kind: StatementKind = 'other';
  let command = type.toUpperCase();
  let columns: ColumnTemplate[] | undefined;
  let limit: ValueRef<number> | undefined;
  let setsDatabase: string | undefined;
  let settings: string[] | undefined;
  const keyword = typeof ast.keyword === 'string' ? ast.keyword.toLowerCase() : '';

  switch (type) {
    case 'select': {
      const shape = walkSelect(ast, undefined, q);
      const into = intoOf(ast);
      kind = into === 'OUTFILE' || into === 'DUMPFILE' ? 'copy-out' : 'select';
      command = into === undefined ? 'SELECT' : `SELECT INTO ${into === 'VAR' ? 'variables' : into}`;
      // Rows selected INTO variables reach no client but stay in the session (unmasked when read
      // back); INTO OUTFILE keeps the lineage of what is exported.
      if (into !== 'VAR') columns = toTemplates(shape);
      else {
        c.flags.add('variable-assignment');
        for (const column of shape.columns) c.filter(column.lineage, 'variable');
      }
      limit = limitOf(selectLimit(ast), rendered, c) ?? (returnsOneRow(ast) ? { value: 1 } : undefined);
      break;
    }
    case 'insert':
    case 'replace': {
      // REPLACE deletes the rows a new one conflicts with: an upsert, so `merge` (delete > merge > insert).
      kind = type === 'replace' ? 'merge' : 'insert';
      command = type.toUpperCase();
      const upsert = type === 'replace' || isNode(ast.on_duplicate_update);
      for (const target of nodes(ast.table)) {
        const table = addTable(target, c, 'write');
        if (upsert && table !== undefined) c.read(table); // it looks at (and may change) existing rows
      }
      writeValues(ast, q);
      break;
    }
    case 'update':
    case 'delete':
      kind = type;
      command = type.toUpperCase();
      dml(ast, type, q);
      limit = limitOf(ast.limit, rendered, c);
      break;
    case 'create':
      kind = DDL_KEYWORDS.get(keyword) ?? 'ddl';
      command = `CREATE ${keyword.toUpperCase()}`.trim();
      for (const target of nodes(ast.table)) addTable(target, c, 'write');
      for (const option of nodes(ast.table_options)) {
        // FEDERATED tables read another server; CONNECT tables read files and remote sources.
        const engine = String(option.keyword).toLowerCase() === 'engine' ? String(option.value).toLowerCase() : '';
        if (engine === 'federated' || engine === 'federatedx') c.flags.add('network-access');
        if (engine === 'connect') c.flags.add('server-file-access');
      }
      if (isNode(ast.view)) addTable({ db: ast.view.db, table: ast.view.view }, c, 'write');
      if (keyword === 'trigger' && isNode(ast.table)) addTable(ast.table, c, 'write');
      for (const key of ['select', 'as', 'query_expr', 'like']) {
        const value = ast[key];
        if (isNode(value) && value.type === 'select') walkSelect(value, undefined, q);
        else if (isNode(value) && isNode(value.ast)) walkSelect(value.ast, undefined, q);
        else if (isNode(value) && value.type === 'like') for (const table of nodes(value.table)) addTable(table, c, 'read');
      }
      break;
    case 'drop':
      kind = keyword === 'user' || keyword === 'role' ? 'dcl' : 'ddl';
      command = `DROP ${keyword.toUpperCase()}`.trim();
      for (const target of [...nodes(ast.name), ...nodes(ast.table)]) if (target.table !== undefined) addTable(target, c, 'write');
      break;
    case 'alter':
      kind = 'ddl';
      command = 'ALTER TABLE';
      for (const target of nodes(ast.table)) addTable(target, c, 'write');
      break;
    case 'rename':
      kind = 'ddl';
      command = 'RENAME TABLE';
      for (const pair of Array.isArray(ast.table) ? ast.table : []) for (const target of nodes(pair)) addTable(target, c, 'write');
      break;
    case 'truncate':
      kind = 'truncate';
      command = 'TRUNCATE';
      for (const target of nodes(ast.name)) addTable(target, c, 'write');
      break;
    case 'use':
      kind = 'session';
      command = 'USE';
      setsDatabase = nameOf(ast.db);
      break;
    case 'show':
    case 'desc':
      kind = 'session';
      command = type === 'desc' ? 'DESCRIBE' : `SHOW ${keyword.toUpperCase()}`.trim();
      if (type === 'show') {
        const reads = showReads(keyword.split(/\s+/)[0] ?? '', typeof ast.suffix === 'string' ? ast.suffix.toLowerCase() : undefined, []);
        kind = reads.kind;
        for (const table of reads.tables) c.read(table);
      }
      if (typeof ast.table === 'string') c.read({ name: nameOf(ast.table)! });
      else if (isNode(ast.table)) addTable(ast.table, c, 'read');
      for (const table of nodes(ast.from)) addTable(table, c, 'read');
      expr(ast.where, new Scope(), q); // SHOW ... WHERE may hold a subquery
      // Server metadata, not table data.
      columns = [{ name: WHOLE_ROW, sources: [], opaque: false }];
      break;
    case 'explain':
      kind = 'explain';
      command = 'EXPLAIN';
      if (isNode(ast.expr)) walkSelect(ast.expr, undefined, q);
      columns = [{ name: 'EXPLAIN', sources: [], opaque: false }];
      break;
    case 'set':
      kind = 'session';
      command = 'SET';
      settings = checkSet(ast, q, rendered);
      break;
    case 'transaction': {
      kind = 'transaction';
      const action = isNode(ast.expr) && isNode(ast.expr.action) ? String(ast.expr.action.value ?? '') : '';
      command = action.toUpperCase() === 'START' ? 'START TRANSACTION' : action.toUpperCase();
      break;
    }
    case 'call':
      kind = 'procedural';
      command = 'CALL';
      if (isNode(ast.expr)) {
        c.functions.add(functionName(ast.expr));
        expr(isNode(ast.expr.args) ? ast.expr.args : undefined, new Scope(), q);
      }
      columns = [{ name: WHOLE_ROW, sources: [], opaque: true }];
      break;
    case 'grant':
      kind = 'dcl';
      command = 'GRANT';
      break;
    case 'lock':
    case 'unlock':
      kind = 'admin';
      command = `${type.toUpperCase()} TABLES`;
      for (const entry of nodes(ast.tables)) if (isNode(entry.table)) addTable(entry.table, c, 'write');
      break;
    case 'load_data':
      kind = 'copy-in';
      command = 'LOAD DATA';
      c.flags.add('server-file-access');
      if (isNode(ast.table)) addTable(ast.table, c, 'write');
      break;
    default:
      break;
  }

  safetyNet(parsed.tableList, c);
  const template: MysqlStatementTemplate = {
    kind,
    command,
    tablesRead: c.tablesRead,
    tablesWritten: c.tablesWritten,
    functions: [...c.functions],
    flags: [...c.flags],
  };
  if (limit !== undefined) template.limit = limit;
  if (columns !== undefined) template.columns = columns;
  template.filterColumns = [...c.filters.values()];
  if (setsDatabase !== undefined) template.setsDatabase = setsDatabase;
  if (settings !== undefined && settings.length > 0) template.settings = settings;
  return { template, cacheable: c.cacheable };
}

function addTable(node: AstNode, c: MysqlCollector, mode: 'read' | 'write'): NamedTable | undefined {
  const table = tableOf(node);
  if (table === undefined) return undefined;
  if (mode === 'read') c.read(table);
  else c.write(table);
  return table;
}

export function toTemplates(shape: RelShape): ColumnTemplate[] {
  return shape.columns.map((column) => column.lineage.toTemplate(column.name));
}

function writeValues(ast: AstNode, q: QueryContext): void {
  const values = ast.values;
  const scope = new Scope();
  if (isNode(values) && values.type === 'select') walkSelect(values, undefined, q);
  else if (isNode(values) && isNode(values.ast)) walkSelect(values.ast, undefined, q);
  else if (isNode(values)) expr(values.values, scope, q);
  for (const set of nodes(ast.set)) expr(set.value, scope, q);
  const upsert = isNode(ast.on_duplicate_update) ? ast.on_duplicate_update.set : undefined;
  for (const set of nodes(upsert)) expr(set.value, scope, q);
}

/** UPDATE (one or several tables) and DELETE (one, or several with FROM / USING). */
function dml(ast: AstNode, type: 'update' | 'delete', q: QueryContext): void {
  const scope = new Scope();
  const from = type === 'update' ? ast.table : ast.from;
  // Reuse the query walk for the joined tables, which reads them all.
  const select = { type: 'select', columns: [], from, where: ast.where, orderby: ast.orderby } as AstNode;
  const relations = walkFromOnly(select, scope, q);
  const written = new Map<string, NamedTable>();
  const targetOf = (qualifier: string | undefined): void => {
    const candidates = qualifier === undefined ? relations : relations.filter((relation) => relation.alias === qualifier || relation.table?.name === qualifier);
    for (const relation of candidates.length > 0 ? candidates : relations) {
      if (relation.table !== undefined) written.set(tableKey(relation.table), relation.table);
    }
  };
  if (type === 'update') {
    for (const set of nodes(ast.set)) {
      targetOf(nameOf(set.table));
      expr(set.value, scope, q);
    }
  } else {
    for (const target of nodes(ast.table)) targetOf(nameOf(target.table));
    if (nodes(ast.table).length === 0) targetOf(undefined);
  }
  for (const table of written.values()) q.c.write(table);
  if (!filtersRows(ast.where)) q.c.flags.add(type === 'update' ? 'update-without-where' : 'delete-without-where');
}

interface DmlRelation {
  alias: string;
  table?: NamedTable;
}

function walkFromOnly(select: AstNode, scope: Scope, q: QueryContext): DmlRelation[] {
  walkSelect(select, scope, q);
  const relations: DmlRelation[] = [];
  for (const item of nodes(select.from)) {
    const table = isNode(item.expr) ? undefined : tableOf(item);
    const alias = nameOf(item.as) ?? table?.name ?? '';
    relations.push(table === undefined ? { alias } : { alias, table });
  }
  return relations;
}

/**
 * Whether a WHERE restricts rows: it looks at a column of the row (outside subqueries), and every
 * OR / || / XOR in it has a column on both sides. The second rule is stricter than PostgreSQL's
 * (any OR, not only a top-level one) because node-sql-parser binds `||` and XOR tighter than `=`
 * (`id = 1 || 1` comes back as `id = (1 || 1)`), where MySQL reads `(id = 1) OR 1`: every row.
 */
function filtersRows(where: unknown): boolean {
  return isNode(where) && mentionsColumn(where) && disjunctionsLookAtRows(where);
}

const DISJUNCTIONS = new Set(['OR', '||', 'XOR']);

function disjunctionsLookAtRows(value: unknown): boolean {
  if (Array.isArray(value)) return value.every(disjunctionsLookAtRows);
  if (!isNode(value) || isNode(value.ast)) return true;
  if (value.type === 'binary_expr' && typeof value.operator === 'string' && DISJUNCTIONS.has(value.operator.toUpperCase())) {
    if (!mentionsColumn(value.left) || !mentionsColumn(value.right)) return false;
  }
  for (const key in value) if (key !== 'loc' && !disjunctionsLookAtRows(value[key])) return false;
  return true;
}

/** A column reference outside subqueries (a subquery's columns are not the row's). */
function mentionsColumn(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(mentionsColumn);
  if (!isNode(value) || isNode(value.ast)) return false;
  if (value.type === 'column_ref') return true;
  for (const key in value) if (key !== 'loc' && mentionsColumn(value[key])) return true;
  return false;
}

/** INTO OUTFILE / DUMPFILE / variables, on any branch of a UNION. */
function intoOf(ast: AstNode): string | undefined {
  for (let branch: AstNode | undefined = ast; branch !== undefined; branch = isNode(branch._next) ? branch._next : undefined) {
    if (isNode(branch.into) && typeof branch.into.keyword === 'string') return branch.into.keyword.toUpperCase();
  }
  return undefined;
}

/**
 * A plain SELECT whose every output is an aggregate call (COUNT, SUM, MAX, GROUP_CONCAT, ...)
 * with no GROUP BY, window or UNION returns exactly one row: bounded without a LIMIT.
 */
function returnsOneRow(ast: AstNode): boolean {
  if (isNode(ast._next) || ast.groupby !== null && ast.groupby !== undefined) return false;
  const columns = ast.columns;
  if (!Array.isArray(columns) || columns.length === 0) return false;
  return columns.every((column: unknown) => {
    const e = isNode(column) && isNode(column.expr) ? column.expr : undefined;
    return e !== undefined && e.type === 'aggr_func' && (e.over === null || e.over === undefined);
  });
}

function selectLimit(ast: AstNode): unknown {
  // node-sql-parser hangs a UNION's trailing LIMIT on its last branch.
  let last = ast;
  while (isNode(last._next)) last = last._next;
  if (last === ast) return ast.limit;
  return last._parentheses === true || last.parentheses_symbol === true ? undefined : last.limit;
}

/** The row count of a LIMIT as "literal #k" of the string (LIMIT n, LIMIT o, n, LIMIT n OFFSET o). */
function limitOf(limit: unknown, rendered: RenderedStatement, c: MysqlCollector): ValueRef<number> | undefined {
  if (!isNode(limit) || !Array.isArray(limit.value) || limit.value.length === 0) return undefined;
  const index = limit.seperator === ',' && limit.value.length > 1 ? 1 : 0;
  const value = limit.value[index] as AstNode | undefined;
  if (value === undefined || value.type !== 'number' || typeof value.value !== 'number') return undefined;
  const loc = isNode(limit.loc) ? limit.loc : undefined;
  const start = isNode(loc?.start) ? Number(loc.start.offset) : NaN;
  const end = isNode(loc?.end) ? Number(loc.end.offset) : NaN;
  const inside = [...rendered.literalAt.entries()].filter(([, at]) => at.start >= start && at.end <= end).map(([literal]) => literal).sort((a, b) => a - b);
  const literal = inside[index];
  if (literal === undefined || inside.length !== limit.value.length) {
    c.cacheable = false; // cannot tie the value to a literal: read it from this parse only
    return { value: value.value };
  }
  return { literal, value: value.value };
}

/**
 * Checks guarded variables and returns the system variables the SET changes, lower-case. The
 * parser drops a GLOBAL / PERSIST scope word, so one anywhere outside a literal marks every name
 * `global.` (a restricted role must not change other sessions' defaults).
 */
function checkSet(ast: AstNode, q: QueryContext, rendered: RenderedStatement): string[] {
  const scope = new Scope();
  const settings: string[] = [];
  const global = setsGlobalScope(rendered);
  for (const assign of nodes(ast.expr)) {
    const left = isNode(assign.left) ? assign.left : {};
    const value = expr(assign.right, scope, q);
    // User and system variables alike keep the value past the statement (`SELECT @v`, `SELECT @@sql_select_limit`).
    q.c.flags.add('variable-assignment');
    if (left.prefix === '@') {
      q.c.filter(value, 'variable'); // a user variable: a later `SELECT @v` reads no table
      continue;
    }
    const members = Array.isArray(left.members) ? left.members.map(String) : [];
    const qualifier = String(left.name).toLowerCase();
    const scoped = members.length > 0 && ['session', 'global', 'local', 'persist', 'persist_only'].includes(qualifier);
    const name = String(scoped ? members[0] : left.name).toLowerCase();
    const isGlobal = global || (scoped && qualifier !== 'session' && qualifier !== 'local');
    settings.push(isGlobal ? `global.${name}` : name);
    // The server writes files it names (general_log_file, slow_query_log_file, ...): a file write on its host.
    if (isGlobal && SERVER_FILE_VARIABLE.test(name)) q.c.flags.add('server-file-access');
    if (!GUARDED_VARIABLES.has(name)) continue;
    q.c.cacheable = false; // the value is a literal, which the shape does not show
    checkSetting(name, settingValue(assign.right));
  }
  return settings;
}

/** Server variables that name a file or directory the server then writes or reads, or switch its logs on. */
const SERVER_FILE_VARIABLE = /(_file|_dir|_path|_directory)$|^general_log$|^slow_query_log$|^log_output$/;

function setsGlobalScope(rendered: RenderedStatement): boolean {
  let text = rendered.text;
  // Blank out literals, last first so earlier offsets stay valid.
  for (const at of [...rendered.literalAt.values()].sort((a, b) => b.start - a.start)) {
    text = `${text.slice(0, at.start)}${' '.repeat(at.end - at.start)}${text.slice(at.end)}`;
  }
  return /(^|[^\w@$.`])(global|persist|persist_only)([^\w$`]|$)/i.test(text);
}

/** A SET value: its text when a constant word or string, null for DEFAULT, else undefined. */
function settingValue(value: unknown): string | null | undefined {
  if (!isNode(value)) return undefined;
  if (value.type === 'default' || (value.type === 'origin' && String(value.value).toUpperCase() === 'DEFAULT')) return null;
  if (value.type === 'column_ref' && typeof value.column === 'string' && value.table === null) {
    return value.column.toUpperCase() === 'DEFAULT' ? null : value.column;
  }
  if (['single_quote_string', 'double_quote_string', 'string', 'natural_string'].includes(String(value.type)) && typeof value.value === 'string') {
    // The parser was given the value re-quoted with backslashes: one means an escape it kept raw.
    return value.value.includes('\\') ? undefined : value.value;
  }
  return undefined;
}

/** node-sql-parser's own table list: any table it saw that the walk did not count is counted as read. */
function safetyNet(tableList: readonly string[], c: MysqlCollector): void {
  const known = new Set([...c.tablesRead, ...c.tablesWritten].map(tableKey));
  for (const entry of tableList) {
    const [, rawDb, rawName] = entry.split('::');
    const [db, name] = [rawDb?.replace(/``/g, '`'), rawName?.replace(/``/g, '`')];
    if (name === undefined || name === '' || name === 'null' || name === '(.*)') continue;
    const table: NamedTable = db === undefined || db === 'null' ? { name } : { schema: db, name };
    if (table.schema === undefined && c.cteNames.has(name)) continue;
    if (known.has(tableKey(table))) continue;
    known.add(tableKey(table));
    c.read(table);
  }
}

/** The values of the rendered statement's string literals (re-quoted as `'...'` with backslashes). */
function stringValues(rendered: RenderedStatement): Set<string> {
  const values = new Set<string>();
  for (const at of rendered.literalAt.values()) {
    const text = rendered.text.slice(at.start, at.end);
    if (text.startsWith("'")) values.add(text.slice(1, -1).replace(/\\(.)/gs, '$1'));
  }
  return values;
}

/** Names expression columns by the text the parser saw, literals shown as `?`. */
function namer(rendered: RenderedStatement): (node: AstNode) => string | undefined {
  return (node) => {
    const loc = isNode(node.loc) ? node.loc : undefined;
    if (loc === undefined || !isNode(loc.start) || !isNode(loc.end)) return undefined;
    const start = Number(loc.start.offset);
    const end = Number(loc.end.offset);
    let text = '';
    let at = start;
    const literals = [...rendered.literalAt.values()].filter((range) => range.start >= start && range.end <= end).sort((a, b) => a.start - b.start);
    for (const range of literals) {
      text += `${rendered.text.slice(at, range.start)}?`;
      at = range.end;
    }
    return (text + rendered.text.slice(at, end)).trim() || undefined;
  };
}

