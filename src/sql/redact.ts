// Statement text for the audit trail: the original string with every literal replaced by `?`
// (PHI lives in literals: names, dates of birth, record numbers) and every comment's text
// replaced too (agents write notes like `-- patient Jane Doe`). Identifiers, keywords,
// operators, parameters and whitespace are kept as written, so the text still reads as the
// statement that ran. Built on each dialect's fingerprint lexer, so a literal is exactly what
// the server would read as one. Where the lexer gives up (an unterminated string, quoted name or
// comment; a MySQL executable comment; a PostgreSQL plain string holding a backslash, which
// standard_conforming_strings would read two ways), everything from that point is one `?`.

import { fingerprintPg } from './fingerprint.js';
import { lexMysql } from './mysql-lexer.js';

/** `/* ? *\/`, `-- ?`, `# ?`: a comment stays visible as one, without its text. */
function redactComment(text: string): string {
  if (text.startsWith('/*')) return '/* ? */';
  return text.startsWith('#') ? '# ?' : '-- ?';
}

/** MySQL / MariaDB text with literals and comment texts replaced by `?` (see the file comment). */
export function redactMysqlLiterals(sql: string): string {
  const lex = lexMysql(sql);
  let out = '';
  let at = 0;
  for (const token of lex.tokens) {
    if (lex.refusedAt !== undefined && token.start >= lex.refusedAt) break;
    out += redactMysqlGap(sql.slice(at, token.start));
    out += token.type === 'literal' ? '?' : sql.slice(token.start, token.end);
    at = token.end;
  }
  if (lex.refusedAt !== undefined) return `${out}${redactMysqlGap(sql.slice(at, Math.max(at, lex.refusedAt)))}?`;
  return out + redactMysqlGap(sql.slice(at));
}

/** Between two MySQL tokens there is only whitespace and comments. */
function redactMysqlGap(gap: string): string {
  if (!/[#/-]/.test(gap)) return gap;
  return gap.replace(/\/\*[\s\S]*?\*\/|#[^\n]*|--[^\n]*/g, redactComment);
}

/** PostgreSQL text with literals and comment texts replaced by `?` (see the file comment). */
export function redactPgLiterals(sql: string): string {
  const { literals } = fingerprintPg(sql);
  let out = '';
  let at = 0;
  for (const literal of literals) {
    const gap = redactPgGap(sql.slice(at, literal.start));
    if (gap.cut) return gap.text;
    // A backslash in a plain string: with standard_conforming_strings off the string would end
    // elsewhere, and what follows could be literal text too. Cut here rather than guess.
    if (literal.kind === 'string' && sql.slice(literal.start, literal.end).includes('\\')) return `${out}${gap.text}?`;
    out += `${gap.text}?`;
    at = literal.end;
  }
  const tail = redactPgGap(sql.slice(at));
  return out + tail.text;
}

/** What redactPgGap has to look at: quoted names, comments, and quotes the lexer could not close. */
const PG_GAP_SPECIAL = /["'$/-]/;

/**
 * Outside literals a PostgreSQL string holds identifiers (`"..."` ones may contain anything),
 * operators and comments (`--`, nested `/* *\/`). A quote or dollar quote found here is one the
 * lexer could not close: the rest is cut.
 */
function redactPgGap(gap: string): { text: string; cut: boolean } {
  // Most gaps are spaces, names and operators: nothing to rewrite.
  if (!PG_GAP_SPECIAL.test(gap)) return { text: gap, cut: false };
  let out = '';
  let i = 0;
  while (i < gap.length) {
    const c = gap[i]!;
    if (c === '"') {
      const close = gap.indexOf('"', i + 1);
      if (close < 0) return { text: `${out}?`, cut: true };
      // `""` inside a quoted identifier is two adjacent quoted parts here: copying each works.
      out += gap.slice(i, close + 1);
      i = close + 1;
    } else if (c === '-' && gap[i + 1] === '-') {
      const end = gap.indexOf('\n', i);
      out += '-- ?';
      i = end < 0 ? gap.length : end;
    } else if (c === '/' && gap[i + 1] === '*') {
      let depth = 0;
      let j = i;
      for (; j < gap.length; j++) {
        if (gap[j] === '/' && gap[j + 1] === '*') {
          depth++;
          j++;
        } else if (gap[j] === '*' && gap[j + 1] === '/') {
          j++;
          if (--depth === 0) break;
        }
      }
      if (depth !== 0) return { text: `${out}?`, cut: true };
      out += '/* ? */';
      i = j + 1;
    } else if (c === "'" || (c === '$' && !/[A-Za-z0-9_$\u0080-\uffff]/.test(gap[i - 1] ?? ' ') && /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.test(gap.slice(i)))) {
      return { text: `${out}?`, cut: true };
    } else {
      out += c;
      i++;
    }
  }
  return { text: out, cut: false };
}

/** The redactor for a wire protocol (src/audit/statement-text.ts's SqlRedactor). */
export function redactSqlLiterals(sql: string, protocol: 'postgres' | 'mysql'): string {
  return protocol === 'mysql' ? redactMysqlLiterals(sql) : redactPgLiterals(sql);
}
