// A hand-written MySQL / MariaDB lexer: splits a statement string into the tokens the server's
// lexer (sql_lex.cc) would see, with the server's default sql_mode (backslash escapes on,
// ANSI_QUOTES off) and a UTF-8 client character set. The fingerprint, the statement split, the
// text handed to node-sql-parser and the literal redaction are all built from these tokens, so
// the parser never reads a comment, a quote or a backslash its own way.
import { rememberLast } from './last-string-memo.js';

export type MysqlLiteralKind =
  | 'integer'
  | 'decimal' // has a fraction
  | 'float' // has an exponent
  | 'string' // '...' or "..." (N'...', _charset'...', and adjacent strings joined into one)
  | 'hex' // X'...' or 0x...
  | 'bit'; // B'...' or 0b...

export interface MysqlLiteral {
  kind: MysqlLiteralKind;
  /** UTF-16 offsets of the whole literal (introducer and every part of a joined string). */
  start: number;
  end: number;
  /** The quoted parts of a string literal, quotes included. */
  parts?: { start: number; end: number }[];
  /** Where the literal proper starts after a character set introducer (`_binary X'41'`). */
  body?: number;
}

export type MysqlTokenType = 'word' | 'quoted' | 'literal' | 'symbol' | 'variable' | 'param';

export interface MysqlToken {
  type: MysqlTokenType;
  start: number;
  end: number;
  /** Whitespace or a comment separates it from the previous token. */
  space: boolean;
  /** Index into the literal list, for literals. */
  literal?: number;
}

export interface MysqlLexResult {
  tokens: MysqlToken[];
  literals: MysqlLiteral[];
  /** Why the string must not be cached (the first reason), if it must not. */
  uncacheable?: string;
  /** Why the string must be refused outright (executable comment, unterminated token, NUL). */
  refused?: string;
  /** Where the refused construct starts: nothing from there on was tokenised. */
  refusedAt?: number;
}

const SPACE = 1;
const WORD = 2;
const DIGIT = 4;
const OPERATOR = 8;

const charClass = new Uint8Array(128);
const mark = (codes: Iterable<number>, cls: number): void => {
  for (const code of codes) charClass[code] = charClass[code]! | cls;
};
const codesOf = (chars: string): number[] => [...chars].map((c) => c.charCodeAt(0));
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
mark(codesOf(' \t\n\r\f\v'), SPACE);
mark(range(48, 57), WORD | DIGIT);
mark([...range(65, 90), ...range(97, 122), 95, 36], WORD); // letters, _, $
mark(codesOf('=<>!~^&|+-*/%:'), OPERATOR);

const isWordChar = (c: number): boolean => (c >= 128 ? true : (charClass[c]! & WORD) !== 0);
const isSpace = (c: number): boolean => c < 128 && (charClass[c]! & SPACE) !== 0;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
/** `--` starts a comment only before whitespace, a control character or the end (sql_lex.cc). */
const startsLineComment = (sql: string, after: number): boolean => {
  const c = sql.charCodeAt(after);
  return after >= sql.length || c <= 32 || c === 127;
};

/** Operators of more than one character, longest first (sql_lex.cc's state machine, flattened). */
const LONG_OPERATORS = ['<=>', '->>', '->', '<=', '>=', '<>', '!=', '<<', '>>', '&&', '||', ':='];

/** Character set introducers (`_utf8mb4'...'`): the character sets MySQL 8 and MariaDB know. */
const CHARSETS = new Set(
  `armscii8 ascii big5 binary cp1250 cp1251 cp1256 cp1257 cp850 cp852 cp866 cp932 dec8 eucjpms euckr
  filename gb18030 gb2312 gbk geostd8 greek hebrew hp8 keybcs2 koi8r koi8u latin1 latin2 latin5 latin7
  macce macroman sjis swe7 tis620 ucs2 ujis utf16 utf16le utf32 utf8 utf8mb3 utf8mb4`.split(/\s+/),
);

/** Longest string whose result is kept (the length past which a shape is not cached either). */
const MAX_REMEMBERED = 64 * 1024;

/** The last result is kept (last-string-memo.ts): the analysis and the audit's redaction lex the same string. */
export const lexMysql: (sql: string) => MysqlLexResult = rememberLast((sql) => new MysqlLexer(sql).run(), MAX_REMEMBERED);

class MysqlLexer {
  private readonly tokens: MysqlToken[] = [];
  private readonly literals: MysqlLiteral[] = [];
  private uncacheable: string | undefined;
  private refused: string | undefined;
  private refusedAt: number | undefined;
  private pos = 0;
  private space = false;

  constructor(private readonly sql: string) {}

  run(): MysqlLexResult {
    const sql = this.sql;
    while (this.pos < sql.length && this.refused === undefined) {
      const c = sql.charCodeAt(this.pos);
      const next = sql.charCodeAt(this.pos + 1);
      if (isSpace(c)) {
        this.pos++;
        this.space = true;
      } else if (c === 35 /* # */) this.lineComment();
      else if (c === 45 /* - */ && next === 45 && startsLineComment(sql, this.pos + 2)) {
        this.lineComment(); // `-- ` needs a space or control character after it; `--1` is minus minus one
      } else if (c === 47 /* / */ && next === 42 /* * */) this.blockComment();
      else if (c === 39 /* ' */ || c === 34 /* " */) this.string(this.pos, this.pos);
      else if (c === 96 /* ` */) this.backtick();
      else if (isDigit(c) || (c === 46 && isDigit(next) && !this.afterName())) this.number();
      else if (isWordChar(c)) this.word();
      else if (c === 64 /* @ */) this.variable();
      else if (c === 63 /* ? */) this.push('param', this.pos, this.pos + 1);
      else if (c === 0) this.refuse('statement contains a NUL character');
      else if (c < 128 && charClass[c]! & OPERATOR) this.operator();
      else if (c === 40 || c === 41 || c === 44 || c === 59 || c === 46) this.push('symbol', this.pos, this.pos + 1);
      else {
        // Backslash, braces (ODBC escapes), brackets, control characters: no statement needs them.
        this.notCacheable(`unexpected character 0x${c.toString(16)}`);
        this.push('symbol', this.pos, this.pos + 1);
      }
    }
    const result: MysqlLexResult = { tokens: this.tokens, literals: this.literals };
    if (this.uncacheable !== undefined) result.uncacheable = this.uncacheable;
    if (this.refused !== undefined) {
      result.refused = this.refused;
      result.refusedAt = this.refusedAt ?? 0;
    }
    return result;
  }

  private notCacheable(reason: string): void {
    this.uncacheable ??= reason;
  }

  private refuse(reason: string): void {
    this.refusedAt ??= this.pos;
    this.refused ??= reason;
    this.pos = this.sql.length;
  }

  private push(type: MysqlTokenType, start: number, end: number, literal?: number): void {
    const token: MysqlToken = { type, start, end, space: this.space };
    if (literal !== undefined) token.literal = literal;
    this.tokens.push(token);
    this.space = false;
    this.pos = end;
  }

  private last(): MysqlToken | undefined {
    return this.tokens[this.tokens.length - 1];
  }

  /** The previous token names something, so a following `.5` is `.` then `5` (`t.5col`). */
  private afterName(): boolean {
    const last = this.last();
    return last !== undefined && !this.space && (last.type === 'word' || last.type === 'quoted');
  }

  private lineComment(): void {
    const sql = this.sql;
    let i = this.pos;
    while (i < sql.length && sql.charCodeAt(i) !== 10) i++;
    this.pos = i;
    this.space = true;
  }

  private blockComment(): void {
    const sql = this.sql;
    const third = sql.charCodeAt(this.pos + 2);
    // `/*! ... */` and `/*M! ... */` are code to MySQL / MariaDB, not comments.
    if (third === 33 || ((third === 77 || third === 109) && sql.charCodeAt(this.pos + 3) === 33)) {
      return this.refuse('executable comments (/*! ... */, /*M! ... */) are not accepted: write the statement without them');
    }
    const close = sql.indexOf('*/', this.pos + 2);
    if (close < 0) return this.refuse('unterminated comment');
    this.pos = close + 2;
    this.space = true;
  }

  /** `'...'` / `"..."` starting at `quote`, the literal starting at `start` (N, introducer). */
  private string(start: number, quote: number): void {
    const parts: { start: number; end: number }[] = [];
    let at = quote;
    while (true) {
      const end = this.quotedEnd(at);
      if (end < 0) return this.refuse('unterminated string');
      parts.push({ start: at, end });
      // Adjacent quoted strings are one literal to MySQL: 'a' 'b' is 'ab'.
      const following = this.skipSpaceAndComments(end);
      const c = this.sql.charCodeAt(following);
      if (following >= this.sql.length || (c !== 39 && c !== 34)) break;
      at = following;
    }
    const end = parts[parts.length - 1]!.end;
    this.literals.push({ kind: 'string', start, end, parts });
    this.push('literal', start, end, this.literals.length - 1);
  }

  /** End (exclusive) of the quoted text opening at `at`, or -1 when unterminated. */
  private quotedEnd(at: number): number {
    const sql = this.sql;
    const quote = sql.charCodeAt(at);
    let i = at + 1;
    while (i < sql.length) {
      const c = sql.charCodeAt(i);
      if (c === 92 /* \ */) i += 2;
      else if (c === quote) {
        if (sql.charCodeAt(i + 1) === quote) i += 2;
        else return i + 1;
      } else {
        if (c === 0) this.refuse('statement contains a NUL character');
        i++;
      }
    }
    return -1;
  }

  private skipSpaceAndComments(i: number): number {
    const sql = this.sql;
    while (i < sql.length) {
      const c = sql.charCodeAt(i);
      if (isSpace(c)) i++;
      else if (c === 35 || (c === 45 && sql.charCodeAt(i + 1) === 45 && startsLineComment(sql, i + 2))) {
        while (i < sql.length && sql.charCodeAt(i) !== 10) i++;
      } else if (c === 47 && sql.charCodeAt(i + 1) === 42 && sql.charCodeAt(i + 2) !== 33 && !/^[Mm]!/.test(sql.slice(i + 2, i + 4))) {
        const close = sql.indexOf('*/', i + 2);
        if (close < 0) return i;
        i = close + 2;
      } else return i;
    }
    return i;
  }

  private backtick(): void {
    const sql = this.sql;
    let i = this.pos + 1;
    while (i < sql.length) {
      const c = sql.charCodeAt(i);
      if (c === 96) {
        if (sql.charCodeAt(i + 1) === 96) i += 2;
        else {
          if (i === this.pos + 1) this.notCacheable('empty quoted identifier');
          return this.push('quoted', this.pos, i + 1);
        }
      } else {
        if (c === 0) return this.refuse('statement contains a NUL character');
        i++;
      }
    }
    this.refuse('unterminated quoted identifier');
  }

  /** A word starting with a digit: a number, 0x / 0b literal, or an identifier like `1abc`. */
  private number(): void {
    const sql = this.sql;
    const start = this.pos;
    let i = start;
    while (i < sql.length && isWordChar(sql.charCodeAt(i))) i++;
    const run = sql.slice(start, i);
    let kind: MysqlLiteralKind | undefined;
    if (/^0x[0-9a-fA-F]+$/.test(run)) kind = 'hex';
    else if (/^0b[01]+$/.test(run)) kind = 'bit';
    else if (/^\d*$/.test(run)) {
      kind = 'integer';
      if (sql.charCodeAt(i) === 46 /* . */) {
        kind = 'decimal';
        i++;
        while (isDigit(sql.charCodeAt(i))) i++;
      }
      const e = sql.charCodeAt(i) | 0x20;
      if (e === 101) {
        let j = i + 1;
        if (sql.charCodeAt(j) === 43 || sql.charCodeAt(j) === 45) j++;
        if (isDigit(sql.charCodeAt(j))) {
          kind = 'float';
          i = j;
          while (isDigit(sql.charCodeAt(i))) i++;
        }
      }
    } else if (/^\d+[eE]\d+$/.test(run)) kind = 'float';
    else if (/^\d+[eE]$/.test(run) && (sql[i] === '+' || sql[i] === '-') && isDigit(sql.charCodeAt(i + 1))) {
      kind = 'float';
      i += 2;
      while (isDigit(sql.charCodeAt(i))) i++;
    }
    const last = this.last();
    if (last !== undefined && !this.space && last.type === 'symbol' && this.sql.charCodeAt(last.start) === 46) this.notCacheable('number after a dot');
    if (kind === undefined) {
      // MySQL identifiers may start with a digit; rare enough to parse afresh each time.
      this.notCacheable('identifier starting with a digit');
      return this.push('word', start, i);
    }
    if (i < sql.length && (isWordChar(sql.charCodeAt(i)) || sql.charCodeAt(i) === 46)) this.notCacheable('junk after a number');
    this.literals.push({ kind, start, end: i });
    this.push('literal', start, i, this.literals.length - 1);
  }

  private word(): void {
    const sql = this.sql;
    const start = this.pos;
    let i = start;
    while (i < sql.length && isWordChar(sql.charCodeAt(i))) i++;
    const next = sql.charCodeAt(i);
    const length = i - start;
    if (length === 1 && next === 39) {
      const prefix = sql.charCodeAt(start) | 0x20;
      if (prefix === 120 /* x */ || prefix === 98 /* b */) return this.prefixed(prefix === 120 ? 'hex' : 'bit', start, i);
      if (prefix === 110 /* n */) return this.string(start, i);
    }
    if (sql.charCodeAt(start) === 95 /* _ */ && CHARSETS.has(sql.slice(start + 1, i).toLowerCase())) {
      // `_utf8mb4'x'`, `_binary X'41'`, `_latin1 0x41`: an introducer, part of the literal.
      const at = this.skipSpaceAndComments(i);
      const c = sql.charCodeAt(at);
      const lower = c | 0x20;
      if (c === 39 || c === 34) return this.string(start, at);
      if ((lower === 120 || lower === 98) && sql.charCodeAt(at + 1) === 39) {
        this.prefixed(lower === 120 ? 'hex' : 'bit', start, at + 1);
        const literal = this.literals[this.literals.length - 1];
        if (literal !== undefined) literal.body = at;
        return;
      }
      if (isDigit(c)) {
        this.pos = at;
        this.number();
        const literal = this.literals[this.literals.length - 1];
        const token = this.last();
        if (token?.type === 'literal' && literal !== undefined && literal.start === at) {
          literal.body = at;
          literal.start = start;
          token.start = start;
        }
        return;
      }
    }
    this.push('word', start, i);
  }

  /** X'...' / B'...': ends at the first quote. */
  private prefixed(kind: MysqlLiteralKind, start: number, quote: number): void {
    const close = this.sql.indexOf("'", quote + 1);
    if (close < 0) return this.refuse('unterminated string');
    this.literals.push({ kind, start, end: close + 1 });
    this.push('literal', start, close + 1, this.literals.length - 1);
  }

  /** `@name`, `@'name'`, `` @`name` ``, `@@name`, `@@session.name`. */
  private variable(): void {
    const sql = this.sql;
    const start = this.pos;
    let i = start + 1;
    if (sql.charCodeAt(i) === 64) i++;
    const c = sql.charCodeAt(i);
    if (i === start + 1 && (c === 39 || c === 34 || c === 96)) {
      const end = c === 96 ? sql.indexOf('`', i + 1) + 1 : this.quotedEnd(i);
      if (end <= 0) return this.refuse('unterminated variable name');
      return this.push('variable', start, end);
    }
    while (i < sql.length && (isWordChar(sql.charCodeAt(i)) || sql.charCodeAt(i) === 46)) i++;
    if (i === start + 1 || (i === start + 2 && sql.charCodeAt(start + 1) === 64)) this.notCacheable('bare @');
    this.push('variable', start, i);
  }

  private operator(): void {
    const sql = this.sql;
    for (const op of LONG_OPERATORS) {
      if (sql.startsWith(op, this.pos)) return this.push('symbol', this.pos, this.pos + op.length);
    }
    this.push('symbol', this.pos, this.pos + 1);
  }
}
