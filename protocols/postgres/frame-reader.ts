// Incremental framing of PostgreSQL messages from arbitrary TCP chunks.
// Complete frames are handed out as views into the chunk they arrived in; only a frame that
// straddles chunks is copied, once, when its last byte arrives. Lengths are checked before
// anything is held for them, so a hostile length is an error, never an allocation.

const EMPTY = Buffer.alloc(0);

/** A violation of the wire protocol; the connection cannot continue. */
export class ProtocolError extends Error {
  constructor(
    message: string,
    readonly sqlState = '08P01',
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export class FrameReader {
  /** Type byte of the current frame (0 for untyped startup-phase frames). */
  code = 0;
  /** Buffer holding the current frame, from `frameStart` to `end`; the body starts at `bodyStart`. */
  buf: Buffer = EMPTY;
  frameStart = 0;
  bodyStart = 0;
  end = 0;
  /** True when the current frame was assembled from several chunks (it is not a view of the chunk). */
  assembled = false;

  private chunk: Buffer = EMPTY;
  private pos = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Total bytes of the straddling frame, or -1 while its header is incomplete. */
  private pendingNeed = -1;

  constructor(
    /** Largest body (length minus its own four bytes) accepted. */
    private readonly maxBody: number,
    /** Startup-phase frames have no type byte. */
    private typed = true,
  ) {}

  setTyped(typed: boolean): void {
    this.typed = typed;
  }

  push(chunk: Buffer): void {
    // Bytes left unread when the caller stopped early (a decision pending) come first.
    this.chunk = this.pos < this.chunk.length ? Buffer.concat([this.chunk.subarray(this.pos), chunk]) : chunk;
    this.pos = 0;
  }

  /** Offset in the last pushed chunk up to which bytes have been consumed into frames. */
  get consumed(): number {
    return this.pos;
  }

  /** Bytes of an incomplete frame held back, waiting for more input. */
  get holding(): number {
    return this.pendingBytes;
  }

  /** Advances to the next complete frame; false when more input is needed. */
  next(): boolean {
    return this.pendingBytes > 0 ? this.completePending() : this.nextInChunk();
  }

  /** Unconsumed bytes of the current chunk, taken away from the reader (for a protocol switch such as TLS). */
  takeRest(): Buffer {
    const rest = this.chunk.subarray(this.pos);
    this.pos = this.chunk.length;
    return rest;
  }

  private headerSize(): number {
    return this.typed ? 5 : 4;
  }

  private frameSize(lengthField: number): number {
    if (lengthField < 4) throw new ProtocolError(`invalid message length ${lengthField}`);
    if (lengthField - 4 > this.maxBody) {
      throw new ProtocolError(`message of ${lengthField - 4} bytes exceeds the limit of ${this.maxBody} bytes`, '54000');
    }
    return lengthField + (this.typed ? 1 : 0);
  }

  private nextInChunk(): boolean {
    const chunk = this.chunk;
    const pos = this.pos;
    const avail = chunk.length - pos;
    if (avail === 0) return false;
    const header = this.headerSize();
    if (avail < header) {
      this.hold(chunk.subarray(pos), -1);
      return false;
    }
    const size = this.frameSize(chunk.readInt32BE(pos + header - 4));
    if (avail < size) {
      this.hold(chunk.subarray(pos), size);
      return false;
    }
    this.code = this.typed ? chunk[pos]! : 0;
    this.buf = chunk;
    this.frameStart = pos;
    this.bodyStart = pos + header;
    this.end = pos + size;
    this.assembled = false;
    this.pos = pos + size;
    return true;
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

  private completePending(): boolean {
    const header = this.headerSize();
    if (this.pendingNeed < 0) {
      this.take(header - this.pendingBytes);
      if (this.pendingBytes < header) return false;
      const head = Buffer.concat(this.pending, header);
      this.pending = [head];
      this.pendingNeed = this.frameSize(head.readInt32BE(header - 4));
    }
    this.take(this.pendingNeed - this.pendingBytes);
    if (this.pendingBytes < this.pendingNeed) return false;
    const frame = Buffer.concat(this.pending, this.pendingNeed);
    this.pending = [];
    this.pendingBytes = 0;
    this.code = this.typed ? frame[0]! : 0;
    this.buf = frame;
    this.frameStart = 0;
    this.bodyStart = header;
    this.end = frame.length;
    this.assembled = true;
    this.pendingNeed = -1;
    return true;
  }
}
