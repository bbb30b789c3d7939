// A hand-written PostgreSQL lexer that folds a statement string into its shape: literals become
// `?`, comments go, whitespace collapses, unquoted words are lower-cased. The analysis cache is
// keyed by that shape, so the lexer must split a string into exactly the tokens PostgreSQL's
// scanner (scan.l) would; wherever it cannot be sure of that it says `cacheable: false` and the
// caller parses the raw string instead.

import { rememberLast } from './last-string-memo.js';
import { Lexer } from './pg-lexer.js';

export type LiteralKind =
  | 'integer'
  | 'numeric' // has a fraction or an exponent
  | 'string' // '...'
  | 'dollar-string' // $tag$...$tag$
  | 'escape-string' // E'...'
  | 'unicode-string' // U&'...'
  | 'bit-string'; // B'...' or X'...'

export interface Literal {
  kind: LiteralKind;
  /** UTF-16 offsets of the literal's text (quotes and prefix included) in the statement string. */
  start: number;
  end: number;
}

export type Fingerprint =
  | {
      cacheable: true;
      shape: string;
      /** Cache key: the literal classes in order, NUL, then the shape. */
      key: string;
      literals: Literal[];
      /** Whether the string is pure ASCII (then UTF-16 offsets equal the parser's byte offsets). */
      ascii: boolean;
    }
  | { cacheable: false; shape: string; reason: string; literals: Literal[] };

/** Past this many UTF-16 units a string is not cached (memory, and it is no hot-path statement). */
export const MAX_CACHEABLE_LENGTH = 64 * 1024;

const LITERAL_CLASS: Record<LiteralKind, string> = {
  integer: 'i',
  numeric: 'f',
  string: 's',
  'dollar-string': 's',
  'escape-string': 'e',
  'unicode-string': 'e',
  'bit-string': 'b',
};

/**
 * Whether an integer literal becomes an ICONST: past int4 the scanner returns FCONST, which the
 * grammar accepts in fewer places, so the two must not share a cache entry.
 */
function fitsInt4(sql: string, literal: Literal): boolean {
  if (literal.end - literal.start < 10) return true;
  const digits = sql.slice(literal.start, literal.end).replace(/_/g, '').replace(/^0+(?=.)/, '');
  if (digits.length < 10) return true;
  if (digits.length > 10) return false;
  return digits <= '2147483647';
}

/** Folds a PostgreSQL statement string into its shape and literal list (the last result is kept: last-string-memo.ts). */
export const fingerprintPg: (sql: string) => Fingerprint = rememberLast(fold, MAX_CACHEABLE_LENGTH);

function fold(sql: string): Fingerprint {
  const lexer = new Lexer(sql);
  lexer.run();
  if (sql.length > MAX_CACHEABLE_LENGTH) lexer.refuse('statement too long to cache');
  const shape = lexer.shape();
  if (lexer.reason !== undefined) return { cacheable: false, shape, reason: lexer.reason, literals: lexer.literals };
  let classes = '';
  for (const literal of lexer.literals) {
    classes += literal.kind === 'integer' && !fitsInt4(sql, literal) ? 'I' : LITERAL_CLASS[literal.kind];
  }
  return { cacheable: true, shape, key: `${classes}\0${shape}`, literals: lexer.literals, ascii: lexer.ascii };
}
