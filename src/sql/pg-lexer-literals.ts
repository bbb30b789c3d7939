// The literal and quoted-name scanners of the fingerprint lexer: strings of every kind,
// quoted identifiers, numbers, parameters and dollar quotes, ended exactly where scan.l ends them.

import type { LiteralKind } from './fingerprint.js';
import { IDENT_CONT, IDENT_START, is, isDigit } from './pg-lexer-chars.js';
import type { Lexer } from './pg-lexer.js';

/**
 * A quoted literal whose opening quote is at `quote` (its prefix starts at `start`). Backslash
 * escapes only in E''. Plain strings holding a backslash are refused: with
 * standard_conforming_strings off the server would end them elsewhere.
 */
export function scanQuoted(lx: Lexer, start: number, quote: number, kind: LiteralKind): boolean {
  const sql = lx.sql;
  const backslashEscapes = kind === 'escape-string';
  let i = quote + 1;
  while (i < sql.length) {
    const c = sql.charCodeAt(i);
    if (c === 39) {
      // '' is a quote inside '', E'' and U&'' strings; B'' and X'' end at the first quote.
      if (sql.charCodeAt(i + 1) === 39 && kind !== 'bit-string') {
        i += 2;
        continue;
      }
      lx.literal(kind, start, i + 1);
      return true;
    }
    if (c === 92 /* \ */) {
      if (backslashEscapes) {
        i += 2;
        continue;
      }
      if (kind === 'string') lx.refuse('backslash in a standard string');
    } else if (c === 0) lx.refuse('NUL in a string');
    else if (c >= 128) {
      lx.ascii = false;
      if (c >= 0xd800 && c <= 0xdfff) lx.surrogate(i);
    }
    i++;
  }
  return lx.unterminated('string');
}

export function scanQuotedIdentifier(lx: Lexer): boolean {
  const sql = lx.sql;
  const start = lx.pos;
  let i = start + 1;
  while (i < sql.length) {
    const c = sql.charCodeAt(i);
    if (c === 34) {
      if (sql.charCodeAt(i + 1) === 34) {
        i += 2;
        continue;
      }
      if (i === start + 1) lx.refuse('zero-length quoted identifier');
      lx.emitSource(start, i + 1);
      lx.pos = i + 1;
      return true;
    }
    if (c === 0) lx.refuse('NUL in an identifier');
    else if (c >= 128) {
      lx.ascii = false;
      if (c >= 0xd800 && c <= 0xdfff) lx.surrogate(i);
    }
    i++;
  }
  return lx.unterminated('quoted identifier');
}

/** Digits with single underscores between them (PostgreSQL 16+); returns the end offset. */
function scanDigits(lx: Lexer, i: number): number {
  const sql = lx.sql;
  while (true) {
    if (isDigit(sql.charCodeAt(i))) i++;
    else if (sql.charCodeAt(i) === 95 && isDigit(sql.charCodeAt(i + 1)) && i > 0 && isDigit(sql.charCodeAt(i - 1))) i += 2;
    else return i;
  }
}

export function scanNumber(lx: Lexer): void {
  const sql = lx.sql;
  const start = lx.pos;
  let kind: LiteralKind = 'integer';
  const second = sql.charCodeAt(start + 1) | 0x20;
  if (sql.charCodeAt(start) === 48 && (second === 120 || second === 111 || second === 98)) {
    lx.refuse('non-decimal integer'); // 0x.., 0o.., 0b..: rare, and easy to get subtly wrong
  }
  let i = scanDigits(lx, start);
  if (sql.charCodeAt(i) === 46 /* . */) {
    if (sql.charCodeAt(i + 1) === 46) lx.refuse('number followed by ..');
    else {
      kind = 'numeric';
      i = scanDigits(lx, i + 1);
    }
  }
  const e = sql.charCodeAt(i) | 0x20;
  if (e === 101) {
    let j = i + 1;
    const sign = sql.charCodeAt(j);
    if (sign === 43 || sign === 45) j++;
    if (isDigit(sql.charCodeAt(j))) {
      kind = 'numeric';
      i = scanDigits(lx, j);
    }
  }
  const after = sql.charCodeAt(i);
  // `123abc`, `1.5.`, `1e+`: trailing junk PostgreSQL rejects or splits in its own way.
  if (i < sql.length && (is(after, IDENT_CONT) || after === 46)) lx.refuse('junk after number');
  lx.literal(kind, start, i);
}

/** `$1` parameters (structural), `$tag$...$tag$` strings; anything else is refused. */
export function scanDollar(lx: Lexer): boolean {
  const sql = lx.sql;
  const start = lx.pos;
  if (isDigit(sql.charCodeAt(start + 1))) {
    let end = start + 1;
    while (isDigit(sql.charCodeAt(end))) end++; // no underscores in parameter numbers
    if (end < sql.length && is(sql.charCodeAt(end), IDENT_CONT)) lx.refuse('junk after parameter');
    lx.emitSource(start, end);
    lx.pos = end;
    return true;
  }
  let i = start + 1;
  if (is(sql.charCodeAt(i), IDENT_START)) {
    while (i < sql.length && sql.charCodeAt(i) !== 36 && is(sql.charCodeAt(i), IDENT_CONT)) i++;
  }
  if (sql.charCodeAt(i) !== 36) {
    lx.refuse('stray $');
    lx.emit('$');
    lx.pos = start + 1;
    return true;
  }
  const delimiter = sql.slice(start, i + 1);
  for (let k = start + 1; k < i; k++) if (delimiter.charCodeAt(k - start) >= 128) lx.ascii = false;
  const close = sql.indexOf(delimiter, i + 1);
  if (close < 0) return lx.unterminated('dollar-quoted string');
  for (let k = i + 1; k < close; k++) {
    const c = sql.charCodeAt(k);
    if (c >= 128) {
      lx.ascii = false;
      if (c >= 0xd800 && c <= 0xdfff) lx.surrogate(k);
    } else if (c === 0) lx.refuse('NUL in a string');
  }
  lx.literal('dollar-string', start, close + delimiter.length);
  return true;
}
