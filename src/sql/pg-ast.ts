// Reading libpg-query's JSON parse tree: nodes are wrapped as `{ TypeName: { ...fields } }`,
// except where the C struct holds a struct directly (`relation`, `alias`, `withClause`).

import type { Node, RangeVar } from 'libpg-query';
import type { NamedTable } from './pg-catalog.js';

export type NodeBody = Record<string, unknown>;

/** `{ ColumnRef: {...} }` → ['ColumnRef', {...}]; undefined for anything else. */
export function tagOf(node: unknown): [string, NodeBody] | undefined {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
  for (const key in node) {
    const code = key.charCodeAt(0);
    const body = (node as NodeBody)[key];
    if (code < 65 || code > 90 || body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
    return [key, body as NodeBody];
  }
  return undefined;
}

/** Calls `visit` on every wrapped node directly under `value`, looking through arrays and plain structs. */
export function eachChild(value: unknown, visit: (node: Node) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) eachChild(item, visit);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (tagOf(value) !== undefined) {
    visit(value as Node);
    return;
  }
  for (const key in value) eachChild((value as NodeBody)[key], visit);
}

/** Calls `visit` on every wrapped node under a node body's fields. */
export function eachChildOf(body: NodeBody, visit: (node: Node) => void): void {
  for (const key in body) eachChild(body[key], visit);
}

/** The `sval`s of a list of String nodes (qualified names, column lists). */
export function strings(nodes: readonly Node[] | undefined): string[] {
  const out: string[] = [];
  for (const node of nodes ?? []) {
    if ('String' in node) out.push(node.String.sval ?? '');
  }
  return out;
}

export function namedTable(rangeVar: RangeVar): NamedTable {
  const name = rangeVar.relname ?? '';
  return rangeVar.schemaname === undefined ? { name } : { schema: rangeVar.schemaname, name };
}

/** A qualified name given as a list of strings: `[schema, name]` or `[name]`. */
export function namedTableFromList(parts: readonly string[]): NamedTable | undefined {
  const name = parts[parts.length - 1];
  if (name === undefined) return undefined;
  const schema = parts[parts.length - 2];
  return schema === undefined ? { name } : { schema, name };
}

/** Whether any node tagged with one of `tags` occurs under `value`. */
export function containsTag(value: unknown, tags: ReadonlySet<string>): boolean {
  let found = false;
  const visit = (node: Node): void => {
    if (found) return;
    const [tag, body] = tagOf(node)!;
    if (tags.has(tag)) found = true;
    else eachChildOf(body, visit);
  };
  eachChild(value, visit);
  return found;
}
