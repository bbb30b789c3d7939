// A growable buffer for building protocol messages: one allocation per batch,
// the length header written once the body is known.

export class MessageWriter {
  private buf: Buffer;
  private offset = 0;
  /** Where the current message's length field starts, or -1 outside a message. */
  private lengthAt = -1;

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

  /** Starts a message with a type byte (0 for the untyped startup-phase messages). */
  begin(code: number): this {
    this.ensure(5);
    if (code !== 0) this.buf[this.offset++] = code;
    this.lengthAt = this.offset;
    this.offset += 4; // filled in by end()
    return this;
  }

  /** Writes the length of the current message (which counts itself but not the type byte). */
  end(): this {
    if (this.lengthAt < 0) throw new Error('MessageWriter.end() without begin()');
    this.buf.writeInt32BE(this.offset - this.lengthAt, this.lengthAt);
    this.lengthAt = -1;
    return this;
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeUInt8(v & 0xff, this.offset);
    this.offset += 1;
    return this;
  }

  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.offset);
    this.offset += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.offset);
    this.offset += 4;
    return this;
  }

  cstring(s: string): this {
    const len = Buffer.byteLength(s);
    this.ensure(len + 1);
    this.buf.write(s, this.offset, 'utf8');
    this.offset += len;
    this.buf[this.offset++] = 0;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.offset);
    this.offset += b.length;
    return this;
  }

  /** The bytes written so far; the writer starts empty again. */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.offset));
    this.offset = 0;
    this.lengthAt = -1;
    return out;
  }

  get length(): number {
    return this.offset;
  }
}
