// Incremental framing of MySQL packets from arbitrary TCP chunks (MySQL docs, "MySQL Packets"):
// a 3-byte little-endian payload length, a 1-byte sequence id, the payload. A payload of
// 0xffffff bytes continues in the next packet; the reader joins them into one logical packet.
// Complete packets are views of the chunk they arrived in; only a packet that straddles chunks
// (or a joined one) is copied. Lengths are checked against the limit before anything is held.
import { MAX_PACKET_PAYLOAD } from './constants.js';

const EMPTY = Buffer.alloc(0);
const HEADER = 4;

/** A violation of the wire protocol; the connection cannot continue. */
export class MysqlProtocolError extends Error {
  constructor(
    message: string,
    /** Error number for the ERR packet the client gets, when it gets one. */
    readonly errno = 1043,
    readonly sqlState = '08S01',
  ) {
    super(message);
    this.name = 'MysqlProtocolError';
  }
}

export class PacketReader {
  /** Sequence id of the (first physical packet of the) current packet, and of its last physical packet. */
  seq = 0;
  lastSeq = 0;
  /** The payload: buf[start, end). */
  buf: Buffer = EMPTY;
  start = 0;
  end = 0;
  /** The packet as it came over the wire, headers included: wire[wireStart, wireEnd). */
  wire: Buffer = EMPTY;
  wireStart = 0;
  wireEnd = 0;

  private chunk: Buffer = EMPTY;
  private pos = 0;
  /** A physical packet straddling chunks: its parts so far, and its total size (-1 until its header is complete). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private pendingNeed = -1;
  /** Physical packets of a logical packet longer than 0xffffff bytes, until its last one arrives. */
  private parts: Buffer[] = [];
  private partsPayload = 0;

  constructor(
    /** Largest logical payload accepted. */
    private maxPayload: number,
  ) {}

  setMaxPayload(n: number): void {
    this.maxPayload = n;
  }

  push(chunk: Buffer): void {
    // Bytes left unread when the caller stopped early (a command in flight) come first.
    this.chunk = this.pos < this.chunk.length ? Buffer.concat([this.chunk.subarray(this.pos), chunk]) : chunk;
    this.pos = 0;
  }

  /** Bytes of an incomplete packet held back, waiting for more input. */
  get holding(): number {
    return this.pendingBytes + this.partsPayload;
  }

  /** Unread bytes of the current chunk. */
  get unread(): number {
    return this.chunk.length - this.pos;
  }

  /** Unconsumed bytes, taken away from the reader (for a switch to TLS). */
  takeRest(): Buffer {
    const rest = this.chunk.subarray(this.pos);
    this.pos = this.chunk.length;
    return rest;
  }

  /** Advances to the next complete logical packet; false when more input is needed. */
  next(): boolean {
    while (true) {
      const physical = this.pendingBytes > 0 ? this.completePending() : this.nextInChunk();
      if (!physical) return false;
      if (this.onPhysical(physical.buf, physical.start, physical.end)) return true;
    }
  }

  private payloadLength(header: Buffer, at: number): number {
    const len = header.readUIntLE(at, 3);
    if (this.partsPayload + len > this.maxPayload) {
      throw new MysqlProtocolError(`packet of ${this.partsPayload + len} bytes exceeds the limit of ${this.maxPayload} bytes`, 1153, '08S01');
    }
    return len;
  }

  private nextInChunk(): { buf: Buffer; start: number; end: number } | undefined {
    const chunk = this.chunk;
    const pos = this.pos;
    const avail = chunk.length - pos;
    if (avail === 0) return undefined;
    if (avail < HEADER) {
      this.hold(chunk.subarray(pos), -1);
      return undefined;
    }
    const size = HEADER + this.payloadLength(chunk, pos);
    if (avail < size) {
      this.hold(chunk.subarray(pos), size);
      return undefined;
    }
    this.pos = pos + size;
    return { buf: chunk, start: pos, end: pos + size };
  }

  private hold(part: Buffer, need: number): void {
    this.pending.push(part);
    this.pendingBytes += part.length;
    this.pendingNeed = need;
    this.pos = this.chunk.length;
  }

  private take(n: number): void {
    const part = this.chunk.subarray(this.pos, this.pos + n);
    this.pending.push(part);
    this.pendingBytes += part.length;
    this.pos += part.length;
  }

  private completePending(): { buf: Buffer; start: number; end: number } | undefined {
    if (this.pendingNeed < 0) {
      this.take(HEADER - this.pendingBytes);
      if (this.pendingBytes < HEADER) return undefined;
      const head = Buffer.concat(this.pending, HEADER);
      this.pending = [head];
      this.pendingNeed = HEADER + this.payloadLength(head, 0);
    }
    this.take(this.pendingNeed - this.pendingBytes);
    if (this.pendingBytes < this.pendingNeed) return undefined;
    const packet = Buffer.concat(this.pending, this.pendingNeed);
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingNeed = -1;
    return { buf: packet, start: 0, end: packet.length };
  }

  /** Handles one physical packet; true when a logical packet is complete. */
  private onPhysical(buf: Buffer, start: number, end: number): boolean {
    const len = end - start - HEADER;
    const seq = buf[start + 3]!;
    if (len === MAX_PACKET_PAYLOAD || this.parts.length > 0) {
      if (this.parts.length === 0) this.seq = seq;
      this.parts.push(buf.subarray(start, end));
      this.partsPayload += len;
      if (len === MAX_PACKET_PAYLOAD) return false;
      // The last part: join the payloads once (and keep the wire bytes for forwarding as they came).
      const payload = Buffer.allocUnsafe(this.partsPayload);
      let at = 0;
      for (const p of this.parts) at += p.copy(payload, at, HEADER);
      this.wire = Buffer.concat(this.parts);
      this.wireStart = 0;
      this.wireEnd = this.wire.length;
      this.buf = payload;
      this.start = 0;
      this.end = payload.length;
      this.lastSeq = seq;
      this.parts = [];
      this.partsPayload = 0;
      return true;
    }
    this.seq = seq;
    this.lastSeq = seq;
    this.buf = buf;
    this.start = start + HEADER;
    this.end = end;
    this.wire = buf;
    this.wireStart = start;
    this.wireEnd = end;
    return true;
  }

  /** First payload byte of the current packet (-1 for an empty payload). */
  get first(): number {
    return this.end > this.start ? this.buf[this.start]! : -1;
  }

  get length(): number {
    return this.end - this.start;
  }
}
