// `${VAR}` / `${VAR:-default}` in YAML string values. Applied to the parsed document, never to the
// text, so a value holding `:` or `#` cannot change the YAML's structure; keys are never expanded.
import { isMap, isPair, isScalar, isSeq, type Document } from 'yaml';
import { formatPath, type PathSegment } from './issues.js';

export type Env = Record<string, string | undefined>;

export type Interpolated = { ok: true; value: string; usedEnv: boolean } | { ok: false; messages: string[] };

const expression = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

/**
 * Expands one string. `${VAR:-default}` takes the default when VAR is unset or empty (as in a
 * shell); `${VAR}` with VAR unset is an error; `$${` is a literal `${`. Defaults are not expanded.
 * Messages name variables, never their values.
 */
export function interpolateString(text: string, env: Env): Interpolated {
  const messages: string[] = [];
  let out = '';
  let usedEnv = false;
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, dollar);
    if (text.startsWith('$${', dollar)) {
      out += '${';
      i = dollar + 3;
      continue;
    }
    if (text[dollar + 1] !== '{') {
      out += '$';
      i = dollar + 1;
      continue;
    }
    const close = text.indexOf('}', dollar + 2);
    if (close < 0) {
      messages.push('unterminated "${": close it with "}", or write "$${" for a literal "${"');
      break;
    }
    const match = expression.exec(text.slice(dollar + 2, close));
    const name = match?.[1];
    if (!match || name === undefined) {
      // The expression is not echoed: a default may be a secret.
      messages.push('malformed "${...}": expected ${NAME} or ${NAME:-default}, or write "$${" for a literal "${"');
      break;
    }
    const fallback = match[2];
    const value = env[name];
    usedEnv = true;
    if (fallback !== undefined) out += value === undefined || value === '' ? fallback : value;
    else if (value !== undefined) out += value;
    else messages.push(`environment variable ${name} is not set (write \${${name}:-default} to give a default)`);
    i = close + 1;
  }
  return messages.length > 0 ? { ok: false, messages } : { ok: true, value: out, usedEnv };
}

export interface DocumentInterpolation {
  errors: { path: PathSegment[]; message: string }[];
  /** Formatted paths (see formatPath) of values that took text from the environment. */
  fromEnv: Set<string>;
}

/** Expands every string scalar value of `doc` in place. */
export function interpolateDocument(doc: Document, env: Env): DocumentInterpolation {
  const result: DocumentInterpolation = { errors: [], fromEnv: new Set() };
  const visit = (node: unknown, path: PathSegment[]): void => {
    if (isScalar(node)) {
      if (typeof node.value !== 'string') return;
      const expanded = interpolateString(node.value, env);
      if (!expanded.ok) {
        for (const message of expanded.messages) result.errors.push({ path, message });
        return;
      }
      node.value = expanded.value;
      if (expanded.usedEnv) result.fromEnv.add(formatPath(path));
    } else if (isMap(node)) {
      for (const item of node.items) {
        if (!isPair(item)) continue;
        const key = isScalar(item.key) ? String(item.key.value) : String(item.key);
        visit(item.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => visit(item, [...path, index]));
    }
    // Aliases are skipped: their anchor is expanded where it is defined.
  };
  visit(doc.contents, []);
  return result;
}
