// A growable buffer for building MySQL packets: one allocation per batch, each packet's
// 3-byte length written once its payload is known (MySQL docs, "MySQL Packets"), and payloads of
// 0xffffff bytes or more split into several packets with consecutive sequence ids.
import { MAX_PACKET_PAYLOAD } from './constants.js';

export class PacketWriter {
  private buf: Buffer;
  private offset = 0;
  /** Where the current packet's header starts, or -1 outside a packet. */
  private headerAt = -1;
  private seq = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  private ensure(extra: number): void {
    const need = this.offset + extra;
    if (need <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
    this.buf.copy(next, 0, 0, this.offset);
    this.buf = next;
  }

  /** Starts a packet with this sequence id. */
  begin(seq: number): this {
    this.ensure(4);
    this.headerAt = this.offset;
    this.seq = seq & 0xff;
    this.offset += 4;
    return this;
  }

  /** Ends the current packet; returns the sequence id the next packet takes. */
  end(): number {
    if (this.headerAt < 0) throw new Error('PacketWriter.end() without begin()');
    const payload = this.offset - this.headerAt - 4;
    if (payload < MAX_PACKET_PAYLOAD) {
      this.buf.writeUIntLE(payload, this.headerAt, 3);
      this.buf[this.headerAt + 3] = this.seq;
      this.headerAt = -1;
      return (this.seq + 1) & 0xff;
    }
    return this.split(payload);
  }

  /** Rewrites an oversized payload as 0xffffff-byte packets (and a shorter, possibly empty, last one). */
  private split(payload: number): number {
    const body = Buffer.from(this.buf.subarray(this.headerAt + 4, this.offset));
    this.offset = this.headerAt;
    let seq = this.seq;
    let at = 0;
    for (;;) {
      const n = Math.min(MAX_PACKET_PAYLOAD, payload - at);
      this.ensure(4 + n);
      this.buf.writeUIntLE(n, this.offset, 3);
      this.buf[this.offset + 3] = seq;
      body.copy(this.buf, this.offset + 4, at, at + n);
      this.offset += 4 + n;
      at += n;
      seq = (seq + 1) & 0xff;
      if (n < MAX_PACKET_PAYLOAD) break;
    }
    this.headerAt = -1;
    return seq;
  }

  int1(v: number): this {
    this.ensure(1);
    this.buf[this.offset++] = v & 0xff;
    return this;
  }

  int2(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16LE(v & 0xffff, this.offset);
    this.offset += 2;
    return this;
  }

  int3(v: number): this {
    this.ensure(3);
    this.buf.writeUIntLE(v, this.offset, 3);
    this.offset += 3;
    return this;
  }

  int4(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.offset);
    this.offset += 4;
    return this;
  }

  int8(v: number): this {
    this.ensure(8);
    this.buf.writeBigUInt64LE(BigInt(v), this.offset);
    this.offset += 8;
    return this;
  }

  /** Length-encoded integer (MySQL docs, "Integer Types": int<lenenc>). */
  lenenc(v: number): this {
    if (v < 0xfb) return this.int1(v);
    if (v <= 0xffff) return this.int1(0xfc).int2(v);
    if (v <= 0xffffff) return this.int1(0xfd).int3(v);
    return this.int1(0xfe).int8(v);
  }

  /** Length-encoded string (MySQL docs, "String Types": string<lenenc>). */
  lenencBytes(b: Uint8Array): this {
    return this.lenenc(b.length).bytes(b);
  }

  lenencString(s: string): this {
    return this.lenencBytes(Buffer.from(s, 'utf8'));
  }

  /** NUL-terminated string (string<NUL>). */
  cstring(s: string): this {
    return this.string(s).int1(0);
  }

  /** A string without terminator or length (string<EOF> / string<fix>). */
  string(s: string): this {
    const len = Buffer.byteLength(s);
    this.ensure(len);
    this.buf.write(s, this.offset, 'utf8');
    this.offset += len;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.offset);
    this.offset += b.length;
    return this;
  }

  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.offset, this.offset + n);
    this.offset += n;
    return this;
  }

  /** The bytes written so far; the writer starts empty again. */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.offset));
    this.offset = 0;
    this.headerAt = -1;
    return out;
  }

  get length(): number {
    return this.offset;
  }
}
