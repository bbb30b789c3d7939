// The value a literal found by the fingerprint lexer stands for, decoded as PostgreSQL decodes
// it: what a cached analysis reads back from the current string (a LIMIT, a search_path entry).

import type { Literal } from './fingerprint.js';

/**
 * The literal's value: numbers as their digits (underscores dropped), strings unquoted and
 * unescaped, bit strings as the parser spells them (`b0101`, `x1f`).
 */
export function literalValue(sql: string, literal: Literal): string {
  const text = sql.slice(literal.start, literal.end);
  switch (literal.kind) {
    case 'integer':
    case 'numeric':
      return text.replace(/_/g, '');
    case 'string':
      return text.slice(1, -1).replace(/''/g, "'");
    case 'dollar-string': {
      const tagEnd = text.indexOf('$', 1) + 1;
      return text.slice(tagEnd, text.length - tagEnd);
    }
    case 'bit-string':
      return text[0]!.toLowerCase() + text.slice(2, -1);
    case 'escape-string':
      return decodeEscapeString(text.slice(2, -1));
    case 'unicode-string':
      return decodeUnicodeString(text.slice(3, -1));
  }
}

/** Every literal's value, in order. */
export function literalValues(sql: string, literals: readonly Literal[]): string[] {
  return literals.map((literal) => literalValue(sql, literal));
}

const SIMPLE_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** Body of an E'' string: C-style backslash escapes, `''` for a quote. */
function decodeEscapeString(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === "'") {
      out += "'";
      i++; // the doubled quote
      continue;
    }
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = body[i + 1] ?? '';
    const octal = /^[0-7]{1,3}/.exec(body.slice(i + 1, i + 4));
    const hex = next === 'x' ? /^[0-9a-fA-F]{1,2}/.exec(body.slice(i + 2, i + 4)) : null;
    const unicodeDigits = next === 'u' ? 4 : next === 'U' ? 8 : 0;
    const unicode = unicodeDigits > 0 ? new RegExp(`^[0-9a-fA-F]{${unicodeDigits}}`).exec(body.slice(i + 2)) : null;
    if (octal) {
      out += String.fromCharCode(parseInt(octal[0], 8) & 0xff);
      i += octal[0].length;
    } else if (hex) {
      out += String.fromCharCode(parseInt(hex[0], 16));
      i += 1 + hex[0].length;
    } else if (unicode) {
      out += String.fromCodePoint(Math.min(parseInt(unicode[0], 16), 0x10ffff));
      i += 1 + unicode[0].length;
    } else {
      out += SIMPLE_ESCAPES[next] ?? next;
      i++;
    }
  }
  return out;
}

/** Body of a U&'' string with the default escape character `\`. */
function decodeUnicodeString(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === "'") {
      out += "'";
      i++;
    } else if (c !== '\\') out += c;
    else if (body[i + 1] === '\\') {
      out += '\\';
      i++;
    } else if (body[i + 1] === '+') {
      out += String.fromCodePoint(Math.min(parseInt(body.slice(i + 2, i + 8), 16) || 0, 0x10ffff));
      i += 7;
    } else {
      out += String.fromCodePoint(parseInt(body.slice(i + 1, i + 5), 16) || 0);
      i += 4;
    }
  }
  return out;
}
