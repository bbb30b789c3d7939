// Statements that change the session's search_path: SET / RESET search_path, RESET ALL,
// DISCARD ALL, and set_config('search_path', ...). A change to a path the gateway cannot know
// (a reset to the server default, a value it cannot read) is reported as `[]`.

import type { A_Const, FuncCall, Node, VariableSetStmt } from 'libpg-query';
import type { Collector } from './pg-collector.js';
import type { ValueRef } from './pg-template.js';

export function searchPathOfSet(set: VariableSetStmt, c: Collector): ValueRef<string>[] | undefined {
  if (set.kind === 'VAR_RESET_ALL') return [];
  // Setting names are case-insensitive: `SET "Search_Path" = x` changes search_path too.
  if (set.name?.toLowerCase() !== 'search_path') return undefined;
  if (set.kind !== 'VAR_SET_VALUE') return [];
  const entries: ValueRef<string>[] = [];
  for (const arg of set.args ?? []) {
    if (!('A_Const' in arg)) return [];
    const entry = constantRef(arg.A_Const, c);
    if (entry === undefined) return [];
    entries.push(entry);
  }
  return entries;
}

/**
 * A constant's value, tied to the literal it came from. `SET search_path = a` parses the bare
 * word `a` into a constant too: that one is structure (part of the shape), not a literal.
 */
function constantRef(constant: A_Const, c: Collector): ValueRef<string> | undefined {
  const value = constant.sval?.sval ?? (constant.ival !== undefined ? String(constant.ival.ival ?? 0) : constant.fval?.fval);
  if (value === undefined) return undefined;
  const index = c.locator.literalAt(constant.location);
  if (index !== undefined) {
    const kind = c.locator.literal(index)?.kind;
    if (kind === 'string' || kind === 'dollar-string' || kind === 'integer' || kind === 'numeric') {
      return { literal: index, value };
    }
    c.cacheable = false; // E'' and U&'' escapes: not decoded from the cache, re-parse instead
    return { value };
  }
  const first = constant.location === undefined || constant.location < 0 ? undefined : c.locator.charAt(constant.location);
  if (first === undefined || !/^[A-Za-z_"\u0080-\uffff]$/.test(first)) c.cacheable = false;
  return { value };
}

/** `set_config('search_path', 'a, b', false)`: the path if both are constants, else unknown. */
export function searchPathOfSetConfig(call: FuncCall, c: Collector): ValueRef<string>[] | undefined {
  // Which setting it changes, and to what, are literals: never cache such a statement.
  c.cacheable = false;
  const [name, value] = call.args ?? [];
  const constantName = stringConstant(name);
  if (constantName !== undefined && constantName.trim().toLowerCase() !== 'search_path') return undefined;
  const constantValue = stringConstant(value);
  if (constantName === undefined || constantValue === undefined) return [];
  return parseSearchPath(constantValue).map((entry) => ({ value: entry }));
}

function stringConstant(node: Node | undefined): string | undefined {
  if (node === undefined) return undefined;
  if ('A_Const' in node) return node.A_Const.sval?.sval;
  if ('TypeCast' in node) return stringConstant(node.TypeCast.arg);
  return undefined;
}

/** `a, "B", $user` → ['a', 'B', '$user'], as PostgreSQL splits a list-valued setting. */
export function parseSearchPath(text: string): string[] {
  const entries: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (/\s/.test(text[i] ?? '')) i++;
    let entry = '';
    if (text[i] === '"') {
      i++;
      while (i < text.length) {
        if (text[i] === '"' && text[i + 1] === '"') [entry, i] = [entry + '"', i + 2];
        else if (text[i] === '"') break;
        else entry += text[i++];
      }
      i++;
      while (i < text.length && text[i] !== ',') i++;
    } else {
      while (i < text.length && text[i] !== ',') entry += text[i++];
      entry = entry.trim().replace(/[A-Z]/g, (letter) => letter.toLowerCase());
    }
    if (entry !== '') entries.push(entry);
    i++; // the comma
  }
  return entries;
}
