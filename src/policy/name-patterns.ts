// How table and function patterns of the rules file meet the names a statement uses.
//
// Table patterns are `schema.table` globs. A table the statement names without a schema (and the
// parser could not place with the search path) is unknown in its schema, so the two directions
// fail closed differently:
// - an *allow* pattern matches it only when the pattern allows every schema (`*.name`, `*.*`),
//   and compares case-sensitively, as the database does for quoted names;
// - a *deny*, *protected* or approval pattern matches it on the table part alone (it might be
//   that schema's table), and ignores case (MySQL may fold table names).
// Function patterns only ever block, so they take the broad reading too: `pg_sleep` matches
// `pg_sleep` in any schema, and `pg_catalog.pg_read_*` also matches an unqualified `pg_read_file`.
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
  return globMatches(schema, table.schema) && globMatches(name, table.name);
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
