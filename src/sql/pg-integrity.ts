// Settings that would make the server read statement strings differently from the parser the
// gateway analyses them with (PostgreSQL's, with standard_conforming_strings on, in UTF-8).
// With standard_conforming_strings off, `'a\''; DELETE FROM t; --'` is one string to the
// parser and a DELETE to the server; with a client encoding other than UTF-8 the bytes the
// gateway decoded are not the text the server lexes. A statement that would change either is
// refused, wherever it sits (SET, set_config, ALTER ROLE / DATABASE / SYSTEM ... SET).

import type { A_Const, FuncCall, Node, VariableSetStmt } from 'libpg-query';
import { strings, type NodeBody } from './pg-ast.js';
import type { Collector } from './pg-collector.js';

const GUARDED: Record<string, (value: string) => boolean> = {
  standard_conforming_strings: (value) => ['on', 'true', 'yes', '1'].includes(value),
  client_encoding: (value) => ['utf8', 'utf-8', 'unicode'].includes(value),
};

/** Thrown for a statement the gateway must not let through whatever the policy says. */
export class RefusedStatement extends Error {}

/** Throws RefusedStatement when the statement changes a guarded setting to an unsafe value. */
export function checkParserSettings(node: Node, c: Collector): void {
  const visit = (value: unknown): void => {
    if (typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    for (const key in value) {
      const child = (value as NodeBody)[key];
      if (typeof child !== 'object' || child === null) continue;
      if (key === 'VariableSetStmt' || key === 'setstmt') checkSet(child as VariableSetStmt, c);
      else if (key === 'FuncCall') checkSetConfig(child as FuncCall, c);
      visit(child);
    }
  };
  visit(node);
}

function refuse(setting: string): never {
  throw new RefusedStatement(
    `sqlveil: ${setting} must stay as the gateway reads statements (standard_conforming_strings on, UTF-8)`,
  );
}

function checkSet(set: VariableSetStmt, c: Collector): void {
  const name = set.name?.toLowerCase();
  if (name === undefined || !(name in GUARDED)) return;
  c.cacheable = false; // the value may be a literal, which the shape does not show
  // RESET / DEFAULT return to the session's starting value, which the gateway checks at login.
  if (set.kind !== 'VAR_SET_VALUE') return;
  const values = (set.args ?? []).map(constantText);
  if (values.length !== 1 || values[0] === undefined || !GUARDED[name]!(values[0])) refuse(name);
}

function checkSetConfig(call: FuncCall, c: Collector): void {
  const name = strings(call.funcname).at(-1)?.toLowerCase();
  if (name !== 'set_config') return;
  c.cacheable = false;
  const [setting, value] = call.args ?? [];
  const settingName = constantText(setting);
  // A setting named by a column or parameter could be any of them, unless the value could not be
  // valid for either: booleans and encoding names are plain words (pg_dump sets a list this way).
  if (settingName === undefined) {
    const text = constantText(value);
    if (text !== undefined && /[^a-z0-9_-]/.test(text)) return;
    refuse('set_config with a non-constant setting name');
  }
  if (!(settingName in GUARDED)) return;
  const text = constantText(value);
  if (text === undefined || !GUARDED[settingName]!(text)) refuse(settingName);
}

function constantText(node: Node | undefined): string | undefined {
  if (node === undefined) return undefined;
  if ('TypeCast' in node) return constantText(node.TypeCast.arg);
  if (!('A_Const' in node)) return undefined;
  const constant: A_Const = node.A_Const;
  const text = constant.sval?.sval ?? (constant.ival !== undefined ? String(constant.ival.ival ?? 0) : undefined);
  const boolean = constant.boolval === undefined ? undefined : String(constant.boolval.boolval === true);
  return (text ?? boolean)?.trim().toLowerCase();
}
