// Character classes of PostgreSQL's scanner (scan.l) for the fingerprint lexer, on UTF-16 code
// units: every unit >= 0x80 is an identifier character there too, because PostgreSQL sees the
// UTF-8 bytes, which are all >= 0x80.

export const SPACE = 1;
export const IDENT_START = 2;
export const IDENT_CONT = 4;
export const DIGIT = 8;
export const OP_CHAR = 16;
export const SELF = 32;

export const charClass = new Uint8Array(128);
const mark = (codes: Iterable<number>, cls: number): void => {
  for (const code of codes) charClass[code] = charClass[code]! | cls;
};
const codesOf = (chars: string): number[] => [...chars].map((c) => c.charCodeAt(0));
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
mark(codesOf(' \t\n\r\f\v'), SPACE);
mark([...range(65, 90), ...range(97, 122), 95], IDENT_START | IDENT_CONT); // letters, _
mark([36, ...range(48, 57)], IDENT_CONT); // $, digits
mark(range(48, 57), DIGIT);
mark(codesOf('~!@#^&|`?+-*/%<>='), OP_CHAR);
mark(codesOf(',()[];'), SELF);

export const is = (code: number, cls: number): boolean =>
  code >= 128 ? (cls & (IDENT_START | IDENT_CONT)) !== 0 : (charClass[code]! & cls) !== 0;
export const isDigit = (code: number): boolean => code >= 48 && code <= 57;
/** Operator characters after which a trailing `+`/`-` stays part of the operator (scan.l). */
export const KEEPS_TRAILING_SIGN = '~!@#^&|`?%';

/** Lower-cases ASCII letters only, as PostgreSQL does for unquoted identifiers in UTF-8. */
export function lowerAscii(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : text[i];
  }
  return out;
}
