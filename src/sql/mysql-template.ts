// What the shape cache keeps for a MySQL statement string, and how it becomes StatementInfo for
// one call: literal-dependent facts (LIMIT) are read from the current string's literals, and
// unqualified tables resolve to the session's database (or one a USE earlier in the string set).

import { freezeStatements, type ColumnLineage, type RiskFlag, type StatementInfo, type StatementKind, type TableRef } from './analysis.js';
import { mysqlLiteralValue } from './mysql-fingerprint.js';
import type { MysqlLiteral } from './mysql-lexer.js';
import { tableKey, type NamedTable } from './pg-catalog.js';
import type { ColumnTemplate, FilterTemplate, ValueRef } from './pg-template.js';

export interface MysqlStatementTemplate {
  kind: StatementKind;
  command: string;
  tablesRead: NamedTable[];
  tablesWritten: NamedTable[];
  functions: string[];
  flags: RiskFlag[];
  limit?: ValueRef<number>;
  columns?: ColumnTemplate[];
  filterColumns?: FilterTemplate[];
  setsDatabase?: string;
  /** Settings changed (see StatementInfo.settings). */
  settings?: string[];
}

export interface MysqlAnalysisTemplate {
  statements: MysqlStatementTemplate[];
  cacheable: boolean;
  /** Whether no fact depends on a literal's value (computed on first use). */
  literalFree?: boolean;
}

/** As in pg-template.ts: a repeated shape in the same database gets the same read-only StatementInfo objects. */
const lastInstance = new WeakMap<MysqlAnalysisTemplate, { database: string | undefined; infos: StatementInfo[] }>();

/** Databases whose tables are the server's own: writing them is `system-catalog-write`. */
const SYSTEM_DATABASES = new Set(['mysql', 'information_schema', 'performance_schema', 'sys']);

export function isSystemDatabase(name: string | undefined): boolean {
  return name !== undefined && SYSTEM_DATABASES.has(name.toLowerCase());
}

export function instantiateMysql(
  template: MysqlAnalysisTemplate,
  sql: string,
  literals: readonly MysqlLiteral[],
  database: string | undefined,
): StatementInfo[] {
  template.literalFree ??= template.statements.every((s) => s.limit?.literal === undefined);
  if (!template.literalFree) return instantiateAll(template, sql, literals, database);
  const last = lastInstance.get(template);
  if (last !== undefined && last.database === database) return last.infos;
  const infos = freezeStatements(instantiateAll(template, sql, literals, database));
  lastInstance.set(template, { database, infos });
  return infos;
}

function instantiateAll(
  template: MysqlAnalysisTemplate,
  sql: string,
  literals: readonly MysqlLiteral[],
  database: string | undefined,
): StatementInfo[] {
  let current = database;
  return template.statements.map((statement) => {
    const info = instantiateStatement(statement, sql, literals, current);
    if (info.setsDatabase !== undefined) current = info.setsDatabase;
    return info;
  });
}

function instantiateStatement(
  template: MysqlStatementTemplate,
  sql: string,
  literals: readonly MysqlLiteral[],
  database: string | undefined,
): StatementInfo {
  const tablesWritten = resolveTables(template.tablesWritten, database);
  const flags = template.flags.slice();
  if (tablesWritten.some((table) => isSystemDatabase(table.schema)) && !flags.includes('system-catalog-write')) {
    flags.push('system-catalog-write');
  }
  const info: StatementInfo = {
    kind: template.kind,
    command: template.command,
    tablesRead: resolveTables(template.tablesRead, database),
    tablesWritten,
    functions: template.functions.slice(),
    flags,
  };
  if (template.limit !== undefined) {
    const literal = template.limit.literal === undefined ? undefined : literals[template.limit.literal];
    const limit = literal === undefined ? template.limit.value : Number(mysqlLiteralValue(sql, literal));
    if (Number.isFinite(limit)) info.limit = limit;
  }
  if (template.columns !== undefined) info.columns = template.columns.map((column) => resolveColumn(column, database));
  if (template.filterColumns !== undefined) {
    info.filterColumns = template.filterColumns.map((use) => ({ table: resolve(use.table, database), column: use.column, clause: use.clause }));
  }
  if (template.setsDatabase !== undefined) info.setsDatabase = template.setsDatabase;
  if (template.settings !== undefined) info.settings = template.settings.slice();
  return info;
}

function resolve(table: NamedTable, database: string | undefined): TableRef {
  if (table.schema !== undefined) return { schema: table.schema, name: table.name };
  return database === undefined ? { name: table.name } : { schema: database, name: table.name };
}

function resolveTables(tables: readonly NamedTable[], database: string | undefined): TableRef[] {
  const seen = new Set<string>();
  const out: TableRef[] = [];
  for (const table of tables) {
    const resolved = resolve(table, database);
    const key = tableKey(resolved);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(resolved);
  }
  return out;
}

function resolveColumn(column: ColumnTemplate, database: string | undefined): ColumnLineage {
  return {
    name: column.name,
    sources: column.sources.map((source) => ({ table: resolve(source.table, database), column: source.column })),
    opaque: column.opaque,
  };
}
