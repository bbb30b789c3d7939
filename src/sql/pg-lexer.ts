// The fingerprint lexer's main loop: whitespace, comments, words and operators, handing
// literals to pg-lexer-literals. Tokens are kept as the shape's words.

import type { Literal, LiteralKind } from './fingerprint.js';
import {
  IDENT_CONT,
  IDENT_START,
  KEEPS_TRAILING_SIGN,
  OP_CHAR,
  SELF,
  SPACE,
  charClass,
  is,
  isDigit,
  lowerAscii,
} from './pg-lexer-chars.js';
import { scanDollar, scanNumber, scanQuoted, scanQuotedIdentifier } from './pg-lexer-literals.js';

// The shape is written into one buffer of UTF-16 units, shared by every lexer: lexing is
// synchronous, one string at a time. Building the shape this way avoids a string per token.
let buffer = new Uint16Array(4096);
let bufferBytes = Buffer.from(buffer.buffer);

function decode(length: number): string {
  const text = bufferBytes.toString('utf16le', 0, length * 2);
  // Do not keep a huge buffer alive after one huge statement.
  if (buffer.length > 1 << 20) {
    buffer = new Uint16Array(4096);
    bufferBytes = Buffer.from(buffer.buffer);
  }
  return text;
}

export class Lexer {
  private length = 0;
  readonly literals: Literal[] = [];
  private previousWasLiteral = false;
  reason: string | undefined;
  ascii = true;
  pos = 0;

  constructor(readonly sql: string) {}

  /** Marks the string uncacheable; the first reason is kept. */
  refuse(reason: string): void {
    this.reason ??= reason;
  }

  /** Room for a separating space and `units` more. */
  private reserve(units: number): void {
    const needed = this.length + units + 1;
    if (needed > buffer.length) {
      const grown = new Uint16Array(Math.max(needed, buffer.length * 2));
      grown.set(buffer.subarray(0, this.length));
      buffer = grown;
      bufferBytes = Buffer.from(buffer.buffer);
    }
    if (this.length > 0) buffer[this.length++] = 32;
  }

  emit(token: string): void {
    this.reserve(token.length);
    for (let i = 0; i < token.length; i++) buffer[this.length++] = token.charCodeAt(i);
    this.previousWasLiteral = false;
  }

  /** Emits `sql[start, end)`, ASCII letters lower-cased when `lower`. */
  emitSource(start: number, end: number, lower = false): void {
    this.reserve(end - start);
    const sql = this.sql;
    const out = buffer;
    let length = this.length;
    for (let i = start; i < end; i++) {
      const c = sql.charCodeAt(i);
      out[length++] = lower && c >= 65 && c <= 90 ? c + 32 : c;
    }
    this.length = length;
    this.previousWasLiteral = false;
  }

  literal(kind: LiteralKind, start: number, end: number): void {
    // Two literals in a row are either an error or a string continued across a newline
    // ('a'\n'b' is one literal): neither is worth reproducing exactly.
    if (this.previousWasLiteral) this.refuse('adjacent literals');
    this.literals.push({ kind, start, end });
    this.reserve(1);
    buffer[this.length++] = 63; // ?
    this.previousWasLiteral = true;
    this.pos = end;
  }

  shape(): string {
    return decode(this.length);
  }

  run(): void {
    const sql = this.sql;
    const n = sql.length;
    while (this.pos < n) {
      const c = sql.charCodeAt(this.pos);
      if (c >= 128) {
        this.ascii = false;
        this.word();
      } else if (charClass[c]! & SPACE) this.pos++;
      else if (c === 45 /* - */ && sql.charCodeAt(this.pos + 1) === 45) this.lineComment();
      else if (c === 47 /* / */ && sql.charCodeAt(this.pos + 1) === 42) {
        if (!this.blockComment()) return;
      } else if (charClass[c]! & IDENT_START) this.word();
      else if (isDigit(c) || (c === 46 /* . */ && isDigit(sql.charCodeAt(this.pos + 1)))) scanNumber(this);
      else if (c === 39 /* ' */) {
        if (!scanQuoted(this, this.pos, this.pos, 'string')) return;
      } else if (c === 34 /* " */) {
        if (!scanQuotedIdentifier(this)) return;
      } else if (c === 36 /* $ */) {
        if (!scanDollar(this)) return;
      } else if (charClass[c]! & OP_CHAR) this.operator();
      else if (charClass[c]! & SELF) this.emitSource(this.pos, ++this.pos);
      else if (c === 58 /* : */) {
        const next = sql.charCodeAt(this.pos + 1);
        const len = next === 58 || next === 61 ? 2 : 1; // `::`, `:=`, `:`
        this.emitSource(this.pos, (this.pos += len));
      } else if (c === 46 /* . */) {
        const len = sql.charCodeAt(this.pos + 1) === 46 ? 2 : 1; // `..`, `.`
        this.emitSource(this.pos, (this.pos += len));
      } else {
        // NUL, control characters, backslash, braces: tokens no statement is made of.
        this.refuse(`unexpected character 0x${c.toString(16)}`);
        this.emit(`\\x${c.toString(16)}`);
        this.pos++;
      }
    }
  }

  private lineComment(): void {
    const sql = this.sql;
    let i = this.pos + 2;
    while (i < sql.length) {
      const c = sql.charCodeAt(i);
      if (c === 10 || c === 13) break;
      if (c >= 128) this.ascii = false;
      i++;
    }
    this.pos = i;
  }

  /** `/* ... *\/`, nested as PostgreSQL nests them. False when unterminated. */
  private blockComment(): boolean {
    const sql = this.sql;
    let depth = 0;
    let i = this.pos + 2;
    while (i < sql.length) {
      const c = sql.charCodeAt(i);
      if (c === 47 && sql.charCodeAt(i + 1) === 42) {
        depth++;
        i += 2;
      } else if (c === 42) {
        while (sql.charCodeAt(i) === 42) i++;
        if (sql.charCodeAt(i) === 47) {
          i++;
          if (depth-- === 0) {
            this.pos = i;
            return true;
          }
        }
      } else {
        if (c >= 128) this.ascii = false;
        i++;
      }
    }
    return this.unterminated('comment');
  }

  unterminated(what: string): false {
    this.refuse(`unterminated ${what}`);
    this.reserve(1);
    buffer[this.length++] = 63;
    this.pos = this.sql.length;
    return false;
  }

  /** Identifier or keyword, or the prefix of E'', B'', X'', N'', U&'' literals. */
  private word(): void {
    const sql = this.sql;
    const start = this.pos;
    let i = start + 1;
    let upper = false;
    let c = sql.charCodeAt(start);
    if (c >= 0xd800 && c <= 0xdfff) this.surrogate(start);
    if (c >= 65 && c <= 90) upper = true;
    for (; i < sql.length; i++) {
      c = sql.charCodeAt(i);
      if (c >= 128) {
        this.ascii = false;
        if (c >= 0xd800 && c <= 0xdfff) this.surrogate(i);
      } else if (!(charClass[c]! & IDENT_CONT)) break;
      else if (c >= 65 && c <= 90) upper = true;
    }
    if (i === start + 1) {
      const prefix = sql.charCodeAt(start) | 0x20; // ASCII lower-case
      const next = sql.charCodeAt(i);
      if (next === 39) {
        if (prefix === 101 /* e */) return void scanQuoted(this, start, i, 'escape-string');
        if (prefix === 98 /* b */ || prefix === 120 /* x */) return void scanQuoted(this, start, i, 'bit-string');
        if (prefix === 110 /* n */) {
          // N'...' is scanned as the keyword NCHAR followed by a plain string.
          this.emit('nchar');
          return void scanQuoted(this, i, i, 'string');
        }
      }
      if (prefix === 117 /* u */ && next === 38 /* & */) {
        const quote = sql.charCodeAt(i + 1);
        if (quote === 39) return void scanQuoted(this, start, i + 1, 'unicode-string');
        if (quote === 34) this.refuse('unicode identifier');
      }
    }
    // UESCAPE changes how the preceding U&'' literal is read: rare, so not cached.
    if (i - start === 7 && lowerAscii(sql.slice(start, i)) === 'uescape') this.refuse('UESCAPE clause');
    this.emitSource(start, i, upper);
    this.pos = i;
  }

  surrogate(i: number): void {
    const c = this.sql.charCodeAt(i);
    const paired =
      c <= 0xdbff
        ? (this.sql.charCodeAt(i + 1) & 0xfc00) === 0xdc00
        : (this.sql.charCodeAt(i - 1) & 0xfc00) === 0xd800;
    if (!paired) this.refuse('lone surrogate');
  }

  /** An operator, cut where scan.l cuts it (at a comment start, before trailing + and -). */
  private operator(): void {
    const sql = this.sql;
    const start = this.pos;
    let end = start;
    while (end < sql.length && is(sql.charCodeAt(end), OP_CHAR)) {
      const c = sql.charCodeAt(end);
      const next = sql.charCodeAt(end + 1);
      if (end > start && ((c === 47 && next === 42) || (c === 45 && next === 45))) break;
      end++;
    }
    let n = end - start;
    const last = sql.charCodeAt(start + n - 1);
    if (n > 1 && (last === 43 || last === 45)) {
      let keeps = false;
      for (let k = start; k < start + n - 1; k++) if (KEEPS_TRAILING_SIGN.includes(sql[k]!)) keeps = true;
      if (!keeps) {
        do n--;
        while (n > 1 && (sql.charCodeAt(start + n - 1) === 43 || sql.charCodeAt(start + n - 1) === 45));
      }
    }
    // A lone `?` operator (jsonb key exists) must not read like a literal placeholder.
    if (n === 1 && sql.charCodeAt(start) === 63) this.emit('operator(?)');
    else this.emitSource(start, start + n);
    this.pos = start + n;
  }
}
