// Reads the fields of one packet payload without copying (MySQL docs, "Basic Data Types":
// fixed-length and length-encoded integers and strings). Every length is checked first.
import { MysqlProtocolError } from './packet-reader.js';

export class PayloadReader {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly end: number,
  ) {}

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.end) throw new MysqlProtocolError('packet is shorter than its fields');
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  int1(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  int2(): number {
    this.need(2);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  int3(): number {
    this.need(3);
    const v = this.buf.readUIntLE(this.pos, 3);
    this.pos += 3;
    return v;
  }

  int4(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  /** An 8-byte integer; above 2^53 it is refused rather than rounded. */
  int8(): number {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.pos);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new MysqlProtocolError('8-byte integer too large');
    this.pos += 8;
    return Number(v);
  }

  /** int<lenenc>; null for 0xfb (NULL in a text row). 0xff is not a valid first byte. */
  lenenc(): number | null {
    const b = this.int1();
    if (b < 0xfb) return b;
    if (b === 0xfb) return null;
    if (b === 0xfc) return this.int2();
    if (b === 0xfd) return this.int3();
    if (b === 0xfe) return this.int8();
    throw new MysqlProtocolError('invalid length-encoded integer (0xff)');
  }

  /** int<lenenc> that may not be NULL. */
  lenencInt(): number {
    const v = this.lenenc();
    if (v === null) throw new MysqlProtocolError('unexpected NULL length');
    return v;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** A view of the next n bytes. */
  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  lenencBytes(): Buffer {
    return this.bytes(this.lenencInt());
  }

  lenencString(): string {
    return this.lenencBytes().toString('utf8');
  }

  /** string<NUL>; a missing terminator is an error. */
  cstring(): string {
    const at = this.buf.indexOf(0, this.pos);
    if (at < 0 || at >= this.end) throw new MysqlProtocolError('unterminated string');
    const s = this.buf.toString('utf8', this.pos, at);
    this.pos = at + 1;
    return s;
  }

  /** string<NUL> that may also end at the end of the payload (some servers omit the last NUL). */
  cstringOrRest(): string {
    const at = this.buf.indexOf(0, this.pos);
    const stop = at < 0 || at >= this.end ? this.end : at;
    const s = this.buf.toString('utf8', this.pos, stop);
    this.pos = Math.min(stop + 1, this.end);
    return s;
  }

  /** The rest of the payload (string<EOF>). */
  rest(): Buffer {
    const b = this.buf.subarray(this.pos, this.end);
    this.pos = this.end;
    return b;
  }
}

/** Bytes a length-encoded integer with this first byte takes (MySQL docs, "int<lenenc>"). */
export function lenencSize(first: number): number {
  if (first < 0xfb) return 1;
  if (first === 0xfc) return 3;
  if (first === 0xfd) return 4;
  if (first === 0xfe) return 9;
  return 1; // 0xfb (NULL) and 0xff (invalid: the caller checks)
}
