// How table and function patterns of the rules file meet the names a statement uses.
//
// Table patterns are `schema.table` globs. A table the statement names without a schema (and the
// parser could not place with the search path) is unknown in its schema, so the two directions
// fail closed differently:
// - an *allow* pattern matches it only when the pattern allows every schema (`*.name`, `*.*`),
//   and compares case-sensitively, as the database does for quoted names;
// - a *deny*, *protected* or approval pattern matches it on the table part alone (it might be
//   that schema's table), and ignores case (MySQL may fold table names).
// Function *block* patterns take the broad reading too: `pg_sleep` matches `pg_sleep` in any
// schema, and `pg_catalog.pg_read_*` also matches an unqualified `pg_read_file`. Function *allow*
// patterns take the narrow one: `lower` allows the built-in (unqualified, or pg_catalog.lower),
// never `clinic.lower`; `schema.name` allows that schema only.
// information_schema names are case-insensitive on MySQL (INFORMATION_SCHEMA.TABLES), so an allow
// pattern for that schema ignores case. Setting names are case-insensitive in both databases.
import type { TableRef } from '../sql/analysis.js';
import { compileGlob, globMatches } from './glob.js';

export type PatternCheck = { ok: true } | { ok: false; message: string };

/** Checks a `schema.table` pattern from the rules file. */
export function checkTablePattern(pattern: string): PatternCheck {
  const dot = pattern.indexOf('.');
  if (dot <= 0 || dot === pattern.length - 1) {
    const bare = pattern.replace(/^\.+|\.+$/g, '') || '*';
    return { ok: false, message: `"${pattern}" is not schema.table: write e.g. "clinic.${bare}", or "*.${bare}" for any schema` };
  }
  return checkGlobs(pattern, [pattern.slice(0, dot), pattern.slice(dot + 1)]);
}

/** Checks a function pattern: `name` or `schema.name`. */
export function checkFunctionPattern(pattern: string): PatternCheck {
  const dot = pattern.lastIndexOf('.');
  if (dot === 0 || dot === pattern.length - 1) return { ok: false, message: `"${pattern}" is not name or schema.name` };
  return checkGlobs(pattern, dot < 0 ? [pattern] : [pattern.slice(0, dot), pattern.slice(dot + 1)]);
}

function checkGlobs(pattern: string, parts: string[]): PatternCheck {
  for (const part of parts) {
    const compiled = compileGlob(part);
    if (!compiled.ok) return { ok: false, message: `"${pattern}": ${compiled.message}` };
  }
  return { ok: true };
}

/** Allow-list reading: the table is known to be covered by the pattern. */
export function tableAllowedBy(pattern: string, table: TableRef): boolean {
  const [schema, name] = splitTablePattern(pattern);
  if (table.schema === undefined) return schema === '*' && globMatches(name, table.name);
  const foldCase = table.schema.toLowerCase() === 'information_schema' && schema.toLowerCase() === 'information_schema';
  return globMatches(schema, table.schema, foldCase) && globMatches(name, table.name, foldCase);
}

/** Checks a setting pattern: a glob over the name (`statement_timeout`, `sqlveil.*`). */
export function checkSettingPattern(pattern: string): PatternCheck {
  return checkGlobs(pattern, [pattern]);
}

/** Allow-list reading of a setting name (case-insensitive, as both databases read them). */
export function settingAllowedBy(pattern: string, setting: string): boolean {
  return globMatches(pattern, setting, true);
}

/**
 * Allow-list reading for a function as the analysis gives it. PostgreSQL resolves an unqualified
 * name in pg_catalog first (the gateway keeps restricted roles off search_path), so a bare pattern
 * covers the unqualified and the pg_catalog-qualified call; a qualified pattern only its schema.
 */
export function functionAllowedBy(pattern: string, fn: string): boolean {
  const [patternSchema, patternName] = splitQualified(pattern);
  const [fnSchema, fnName] = splitQualified(fn);
  // Case-sensitive: PostgreSQL names arrive folded unless quoted, MySQL ones lower-cased.
  if (!globMatches(patternName, fnName)) return false;
  if (patternSchema === undefined) return fnSchema === undefined || fnSchema === 'pg_catalog';
  if (fnSchema === undefined) return patternSchema === 'pg_catalog' || patternSchema === '*';
  return globMatches(patternSchema, fnSchema);
}

/** Deny-list reading: the table may be one the pattern names. */
export function tableMayMatch(pattern: string, table: TableRef): boolean {
  const [schema, name] = splitTablePattern(pattern);
  if (!globMatches(name, table.name, true)) return false;
  return table.schema === undefined || globMatches(schema, table.schema, true);
}

/** Deny-list reading for a function name as the analysis gives it (lower-case, maybe qualified). */
export function functionMayMatch(pattern: string, fn: string): boolean {
  const [patternSchema, patternName] = splitQualified(pattern);
  const [fnSchema, fnName] = splitQualified(fn);
  if (!globMatches(patternName, fnName, true)) return false;
  if (patternSchema === undefined || fnSchema === undefined) return true;
  return globMatches(patternSchema, fnSchema, true);
}

export function showTable(table: TableRef): string {
  return table.schema === undefined ? table.name : `${table.schema}.${table.name}`;
}

function splitTablePattern(pattern: string): [string, string] {
  const dot = pattern.indexOf('.');
  return [pattern.slice(0, dot), pattern.slice(dot + 1)];
}

function splitQualified(name: string): [string | undefined, string] {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? [undefined, name] : [name.slice(0, dot), name.slice(dot + 1)];
}
