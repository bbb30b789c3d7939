// What the shape cache keeps for a statement string: its structure, with every fact that depends
// on a literal's value kept as "literal #k" and every unqualified table left unresolved. Turning
// a template into StatementInfo reads those from the current string and the session's path.

import { freezeStatements, type ColumnLineage, type FilterClause, type FilterColumn, type RiskFlag, type SessionObjectEffect, type StatementInfo, type StatementKind, type TableRef } from './analysis.js';
import type { Literal } from './fingerprint.js';
import { literalValue } from './literal-value.js';
import { resolveTable, tableKey, type NamedTable } from './pg-catalog.js';

export interface SourceTemplate {
  table: NamedTable;
  column: string;
}

export interface FilterTemplate {
  table: NamedTable;
  column: string;
  clause: FilterClause;
}

export interface ColumnTemplate {
  name: string;
  sources: SourceTemplate[];
  opaque: boolean;
}

/** A value read at analysis time: from literal #`literal` when given, else `value` as parsed. */
export interface ValueRef<T> {
  literal?: number;
  value: T;
}

export interface StatementTemplate {
  kind: StatementKind;
  command: string;
  tablesRead: NamedTable[];
  tablesWritten: NamedTable[];
  functions: string[];
  flags: RiskFlag[];
  limit?: ValueRef<number>;
  columns?: ColumnTemplate[];
  filterColumns?: FilterTemplate[];
  /** New search_path entries; `[]` when the path is reset to a default the gateway cannot see. */
  setsSearchPath?: ValueRef<string>[];
  sessionObject?: SessionObjectEffect;
  /** Settings changed (see StatementInfo.settings): names are structure, never literals. */
  settings?: string[];
}

export interface AnalysisTemplate {
  statements: StatementTemplate[];
  /** False when a literal-dependent fact could not be tied to a literal: do not cache. */
  cacheable: boolean;
  /** Whether no fact depends on a literal's value (computed on first use). */
  literalFree?: boolean;
}

/** The current string's literals, when it was fingerprinted; else values come from the parse. */
export interface LiteralSource {
  sql: string;
  literals: readonly Literal[];
}

/**
 * The last instantiation of a template whose facts depend on no literal, and the path it was
 * resolved with: a repeated statement shape gets the very same (read-only) StatementInfo
 * objects, so what the policy and masking derive from them can be cached by identity.
 */
const lastInstance = new WeakMap<AnalysisTemplate, { path: readonly string[]; infos: StatementInfo[] }>();

function literalFree(template: AnalysisTemplate): boolean {
  return template.statements.every((s) => s.limit?.literal === undefined && (s.setsSearchPath ?? []).every((e) => e.literal === undefined));
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function instantiate(
  template: AnalysisTemplate,
  literals: LiteralSource | undefined,
  searchPath: readonly string[],
): StatementInfo[] {
  template.literalFree ??= literalFree(template);
  if (!template.literalFree) return instantiateAll(template, literals, searchPath);
  const last = lastInstance.get(template);
  if (last !== undefined && samePath(last.path, searchPath)) return last.infos;
  const infos = freezeStatements(instantiateAll(template, literals, searchPath));
  lastInstance.set(template, { path: searchPath, infos });
  return infos;
}

function instantiateAll(
  template: AnalysisTemplate,
  literals: LiteralSource | undefined,
  searchPath: readonly string[],
): StatementInfo[] {
  let path = searchPath;
  const infos: StatementInfo[] = [];
  for (const statement of template.statements) {
    const info = instantiateStatement(statement, literals, path);
    infos.push(info);
    // A SET search_path earlier in the string changes how later statements resolve.
    if (info.setsSearchPath !== undefined) path = info.setsSearchPath;
  }
  return infos;
}

function instantiateStatement(
  template: StatementTemplate,
  literals: LiteralSource | undefined,
  path: readonly string[],
): StatementInfo {
  const tablesWritten = resolveTables(template.tablesWritten, path);
  const flags = template.flags.slice();
  if (tablesWritten.some((table) => table.schema === 'pg_catalog') && !flags.includes('system-catalog-write')) {
    flags.push('system-catalog-write');
  }
  const info: StatementInfo = {
    kind: template.kind,
    command: template.command,
    tablesRead: resolveTables(template.tablesRead, path),
    tablesWritten,
    functions: template.functions.slice(),
    flags,
  };
  if (template.limit !== undefined) {
    const limit = template.limit.literal === undefined ? template.limit.value : Number(read(template.limit, literals));
    // The server rounds a fractional LIMIT to the nearest integer.
    if (Number.isFinite(limit)) info.limit = Math.round(limit);
  }
  if (template.columns !== undefined) info.columns = template.columns.map((column) => resolveColumn(column, path));
  if (template.filterColumns !== undefined) info.filterColumns = template.filterColumns.map((use) => resolveFilter(use, path));
  if (template.setsSearchPath !== undefined) {
    info.setsSearchPath = template.setsSearchPath.map((entry) => String(read(entry, literals)));
  }
  if (template.sessionObject !== undefined) info.sessionObject = template.sessionObject;
  if (template.settings !== undefined) info.settings = template.settings.slice();
  return info;
}

function read<T>(ref: ValueRef<T>, literals: LiteralSource | undefined): T | string {
  const literal = ref.literal === undefined ? undefined : literals?.literals[ref.literal];
  return literal === undefined || literals === undefined ? ref.value : literalValue(literals.sql, literal);
}

function resolveTables(tables: readonly NamedTable[], path: readonly string[]): TableRef[] {
  if (tables.length === 1) return [resolveTable(tables[0]!, path)];
  const seen = new Set<string>();
  const out: TableRef[] = [];
  for (const table of tables) {
    const resolved = resolveTable(table, path);
    const key = tableKey(resolved);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(resolved);
  }
  return out;
}

function resolveFilter(use: FilterTemplate, path: readonly string[]): FilterColumn {
  return { table: resolveTable(use.table, path), column: use.column, clause: use.clause };
}

function resolveColumn(column: ColumnTemplate, path: readonly string[]): ColumnLineage {
  return {
    name: column.name,
    sources: column.sources.map((source) => ({ table: resolveTable(source.table, path), column: source.column })),
    opaque: column.opaque,
  };
}
