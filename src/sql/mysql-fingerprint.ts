// The shape of a MySQL statement string (literals as `?`, comments gone, one space between
// tokens, unquoted words lower-cased) and its cache key; the statements of the string; the text
// node-sql-parser is given for one statement; and the value of a literal.

import { lexMysql, type MysqlLexResult, type MysqlLiteral, type MysqlToken } from './mysql-lexer.js';

/** Past this many UTF-16 units a string is not cached (memory, and it is no hot-path statement). */
export const MYSQL_MAX_CACHEABLE_LENGTH = 64 * 1024;

export interface MysqlFingerprint {
  lex: MysqlLexResult;
  /** Normalised shape, for audit and messages. */
  shape: string;
  /** Cache key, or undefined when the string must be parsed afresh. */
  key?: string;
  /** Why the string is not cached. */
  reason?: string;
}

const LITERAL_CLASS: Record<MysqlLiteral['kind'], string> = {
  integer: 'i',
  decimal: 'd',
  float: 'f',
  string: 's',
  hex: 'x',
  bit: 'b',
};

/**
 * The key differs from the shape in two ways. Unquoted words keep their case: database and table
 * names are case-sensitive on most MySQL servers (lower_case_table_names=0), so `Patients` and
 * `patients` may be different tables and must not share an analysis. And tokens are joined as
 * they were (with a space only where the string had whitespace or a comment), so that spacing
 * MySQL gives meaning to (`count (*)` with IGNORE_SPACE off) is kept.
 */
export function fingerprintMysql(sql: string): MysqlFingerprint {
  const lex = lexMysql(sql);
  const shapeParts: string[] = new Array<string>(lex.tokens.length);
  const keyParts: string[] = new Array<string>(lex.tokens.length);
  for (let i = 0; i < lex.tokens.length; i++) {
    const token = lex.tokens[i]!;
    if (token.type === 'literal') {
      shapeParts[i] = '?';
      keyParts[i] = token.space ? ' \u0001' : '\u0001';
      continue;
    }
    const text = sql.slice(token.start, token.end);
    shapeParts[i] = token.type === 'word' || token.type === 'variable' ? text.toLowerCase() : text;
    keyParts[i] = token.space ? ` ${text}` : text;
  }
  let shape = shapeParts.join(' ');
  const key = keyParts.join('');
  // The refused rest of the string (executable comment, unterminated token) shows as one `?`.
  if (lex.refused !== undefined) shape += shape.length === 0 ? '?' : ' ?';
  const reason = lex.refused ?? lex.uncacheable ?? (sql.length > MYSQL_MAX_CACHEABLE_LENGTH ? 'statement too long to cache' : undefined);
  if (reason !== undefined) return { lex, shape, reason };
  let classes = '';
  for (const literal of lex.literals) classes += LITERAL_CLASS[literal.kind];
  return { lex, shape, key: `${classes}\0${key}` };
}

/** The statements of the string: token ranges between top-level `;`, empty ones dropped. */
export function splitStatements(sql: string, tokens: readonly MysqlToken[]): { from: number; to: number }[] {
  const ranges: { from: number; to: number }[] = [];
  let from = 0;
  for (let i = 0; i <= tokens.length; i++) {
    const token = tokens[i];
    if (token === undefined || (token.type === 'symbol' && sql.charCodeAt(token.start) === 59)) {
      if (i > from) ranges.push({ from, to: i });
      from = i + 1;
    }
  }
  return ranges;
}

const isOperatorSymbol = (sql: string, token: MysqlToken): boolean =>
  token.type === 'symbol' && !'(),.;'.includes(sql[token.start]!);

export interface RenderedStatement {
  text: string;
  /** For each literal index of the string: its [start, end) in `text`, when in this statement. */
  literalAt: Map<number, { start: number; end: number }>;
}

/**
 * The text node-sql-parser is given for tokens [from, to): exactly the tokens this lexer found,
 * without comments, strings re-quoted as `'...'` with their decoded value, introducers dropped.
 * Two operator tokens are kept apart (`- -1`, never `--1`).
 */
export function renderStatement(sql: string, lex: MysqlLexResult, from: number, to: number): RenderedStatement {
  let text = '';
  const literalAt = new Map<number, { start: number; end: number }>();
  let previous: MysqlToken | undefined;
  let gap = false;
  for (let i = from; i < to; i++) {
    const token = lex.tokens[i]!;
    const skip = previous === undefined ? 0 : indexHintLength(sql, lex.tokens, i, to);
    if (skip > 0) {
      i += skip - 1;
      gap = true;
      continue;
    }
    if (previous !== undefined && (gap || token.space || (isOperatorSymbol(sql, previous) && isOperatorSymbol(sql, token)))) text += ' ';
    gap = false;
    if (token.type === 'literal') {
      const literal = lex.literals[token.literal!]!;
      const start = text.length;
      text += renderLiteral(sql, literal);
      literalAt.set(token.literal!, { start, end: text.length });
    } else if (isWord(sql, token, 'for') && i + 2 === to && isWord(sql, lex.tokens[i + 1], 'share')) {
      // MySQL 8's `FOR SHARE` is the older `LOCK IN SHARE MODE`, which the parser knows.
      text += 'LOCK IN SHARE MODE';
      i++;
    } else text += sql.slice(token.start, token.end);
    previous = token;
  }
  return { text, literalAt };
}

const isWord = (sql: string, token: MysqlToken | undefined, word: string): boolean =>
  token !== undefined && token.type === 'word' && token.end - token.start === word.length && sql.slice(token.start, token.end).toLowerCase() === word;

/**
 * Tokens of an index hint at i (`USE | FORCE | IGNORE INDEX | KEY [FOR JOIN | ORDER BY | GROUP BY]
 * (names)`), which only steers the optimizer and which the parser does not read; 0 if none.
 */
function indexHintLength(sql: string, tokens: readonly MysqlToken[], i: number, to: number): number {
  const first = tokens[i];
  if (!(isWord(sql, first, 'use') || isWord(sql, first, 'force') || isWord(sql, first, 'ignore'))) return 0;
  if (!(isWord(sql, tokens[i + 1], 'index') || isWord(sql, tokens[i + 1], 'key'))) return 0;
  let j = i + 2;
  if (isWord(sql, tokens[j], 'for')) {
    if (isWord(sql, tokens[j + 1], 'join')) j += 2;
    else if ((isWord(sql, tokens[j + 1], 'order') || isWord(sql, tokens[j + 1], 'group')) && isWord(sql, tokens[j + 2], 'by')) j += 3;
    else return 0;
  }
  if (!(j < to && tokens[j]!.type === 'symbol' && sql[tokens[j]!.start] === '(')) return 0;
  for (j++; j < to; j++) {
    const token = tokens[j]!;
    if (token.type === 'symbol' && sql[token.start] === ')') return j + 1 - i;
    if (!(token.type === 'word' || token.type === 'quoted' || (token.type === 'symbol' && sql[token.start] === ','))) return 0;
  }
  return 0;
}

function renderLiteral(sql: string, literal: MysqlLiteral): string {
  if (literal.kind === 'string') return `'${mysqlLiteralValue(sql, literal).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  // Without a character set introducer: `_binary X'41'` → `X'41'`.
  return sql.slice(literal.body ?? literal.start, literal.end);
}

const ESCAPES: Record<string, string> = { '0': '\0', b: '\b', n: '\n', r: '\r', t: '\t', Z: '\x1a' };

/** The value a literal stands for: strings unquoted and unescaped (MySQL rules), numbers as written. */
export function mysqlLiteralValue(sql: string, literal: MysqlLiteral): string {
  if (literal.kind !== 'string' || literal.parts === undefined) {
    const body = sql.slice(literal.body ?? literal.start, literal.end);
    if (/^[xXbB]'/.test(body)) return body.slice(2, -1);
    return body;
  }
  let out = '';
  for (const part of literal.parts) {
    const quote = sql[part.start]!;
    for (let i = part.start + 1; i < part.end - 1; i++) {
      const c = sql[i]!;
      if (c === '\\') {
        const next = sql[i + 1] ?? '';
        // `\%` and `\_` keep their backslash (they are LIKE escapes); others drop it.
        out += next === '%' || next === '_' ? `\\${next}` : (ESCAPES[next] ?? next);
        i++;
      } else if (c === quote) {
        out += quote; // a doubled quote
        i++;
      } else out += c;
    }
  }
  return out;
}
