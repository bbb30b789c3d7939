// Statements that are not queries (DDL, DCL, maintenance): the objects they act on count as
// written; queries inside them (a view's definition, a rule's actions, CREATE TABLE AS) are
// walked as queries. And one scan over every statement for the functions it calls.

import type { FuncCall, Node, RangeVar, VariableSetStmt } from 'libpg-query';
import { namedTable, namedTableFromList, strings, tagOf, type NodeBody } from './pg-ast.js';
import type { Collector } from './pg-collector.js';
import { functionFacts, functionName } from './pg-functions.js';
import { walkQuery } from './pg-query.js';
import { searchPathOfSetConfig } from './pg-search-path.js';
import type { NamedTable } from './pg-catalog.js';
import type { ValueRef } from './pg-template.js';

const QUERY_TAGS = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

// Object types whose names (in DROP, COMMENT ON, SECURITY LABEL) are tables or table-like.
const TABLE_OBJECTS = new Set(['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_FOREIGN_TABLE', 'OBJECT_SEQUENCE']);

/** Records every table a utility statement names as written, walking queries inside it. */
export function walkUtility(value: unknown, c: Collector): void {
  if (Array.isArray(value)) {
    for (const item of value) walkUtility(item, c);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const tagged = tagOf(value);
  if (tagged !== undefined) {
    const [tag, body] = tagged;
    if (QUERY_TAGS.has(tag)) c.topLevel(() => walkQuery(value as Node, {}, c));
    else if (tag === 'TableLikeClause' && body.relation !== undefined) {
      c.read(namedTable(body.relation as RangeVar)); // CREATE TABLE t (LIKE src): src's definition is read
    } else {
      namedObjects(tag, body, c);
      walkUtility(body, c);
    }
    return;
  }
  // Structs held directly (relation, view, rel, ...) are RangeVars when they have a relname.
  if (typeof (value as NodeBody).relname === 'string') {
    c.write(namedTable(value as RangeVar));
    return;
  }
  for (const key in value) walkUtility((value as NodeBody)[key], c);
}

/** DROP TABLE a, s.b / COMMENT ON TABLE t / COMMENT ON COLUMN t.c name tables as string lists. */
function namedObjects(tag: string, body: NodeBody, c: Collector): void {
  const type = tag === 'DropStmt' ? body.removeType : body.objtype;
  if (tag !== 'DropStmt' && tag !== 'CommentStmt' && tag !== 'SecLabelStmt') return;
  const objects = (tag === 'DropStmt' ? (body.objects as Node[] | undefined) : [body.object as Node]) ?? [];
  for (const object of objects) {
    if (object === undefined || !('List' in object)) continue;
    const parts = strings(object.List.items);
    let table: NamedTable | undefined;
    if (type === 'OBJECT_COLUMN') table = namedTableFromList(parts.slice(0, -1));
    else if (TABLE_OBJECTS.has(String(type))) table = namedTableFromList(parts);
    if (table !== undefined) c.write(table);
  }
}

export interface FunctionScan {
  functions: string[];
  /** Settings set_config(...) calls change (`*` when the name is not a constant). */
  settings: string[];
  /** Set by set_config('search_path', ...), when called. */
  setsSearchPath?: ValueRef<string>[];
}

/** Every function called anywhere in a statement, with the flags their names carry. */
export function scanFunctions(node: Node, c: Collector): FunctionScan {
  const functions = new Set<string>();
  const settings = new Set<string>();
  const scan: FunctionScan = { functions: [], settings: [] };
  const visitCall = (call: FuncCall): void => {
    const fn = functionName(call);
    functions.add(fn.display);
    for (const flag of functionFacts(fn).flags) c.flags.add(flag);
    if (fn.name === 'set_config' && (fn.schema === undefined || fn.schema === 'pg_catalog')) {
      scan.setsSearchPath = searchPathOfSetConfig(call, c) ?? scan.setsSearchPath;
      settings.add(setConfigName(call));
    }
  };
  // `(x).f` is a field selection when x has a field f, and the call f(x) otherwise (PostgreSQL docs,
  // "Function Call" / attribute notation): the gateway cannot tell without x's type, so each name
  // selected from anything but a whole-row reference counts as a function called.
  const visitFieldSelection = (node: NodeBody): void => {
    const arg = node.arg as Node | undefined;
    if (arg !== undefined && 'ColumnRef' in arg && (arg.ColumnRef.fields ?? []).length === 1) return;
    for (const step of (node.indirection as Node[] | undefined) ?? []) {
      if (!('String' in step)) continue;
      const name = step.String.sval ?? '';
      functions.add(name);
      for (const flag of functionFacts({ name, display: name }).flags) c.flags.add(flag);
    }
  };
  // One pass over the whole tree; a wrapped node's key is its type (`{ FuncCall: {...} }`).
  const visit = (value: unknown): void => {
    if (typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    for (const key in value) {
      const child = (value as NodeBody)[key];
      if (typeof child !== 'object' || child === null) continue;
      if (key === 'FuncCall') visitCall(child as FuncCall);
      else if (key === 'A_Indirection') visitFieldSelection(child as NodeBody);
      else if (key === 'CallStmt') {
        const call = (child as NodeBody).funccall as FuncCall | undefined;
        if (call !== undefined) visitCall(call);
      }
      else if (key === 'ExecuteStmt') c.flags.add('dynamic-sql');
      else if (key === 'LockingClause') c.flags.add('locking-read');
      visit(child);
    }
  };
  visit(node);
  scan.functions = [...functions];
  scan.settings = [...settings];
  return scan;
}

/** The setting a set_config call names, lower-case; `*` when it is not a constant. */
function setConfigName(call: FuncCall): string {
  let arg = call.args?.[0];
  while (arg !== undefined && 'TypeCast' in arg) arg = arg.TypeCast.arg;
  const name = arg !== undefined && 'A_Const' in arg ? arg.A_Const.sval?.sval : undefined;
  return name === undefined ? '*' : name.trim().toLowerCase();
}

/**
 * The setting a SET / RESET changes, lower-case. RESET ALL returns to the login values (which
 * the gateway checked) and SET TRANSACTION / SESSION CHARACTERISTICS to transaction modes: none.
 */
export function settingOfSet(set: VariableSetStmt): string | undefined {
  if (set.kind === 'VAR_RESET_ALL' || set.kind === 'VAR_SET_MULTI') return undefined;
  return set.name?.toLowerCase();
}
