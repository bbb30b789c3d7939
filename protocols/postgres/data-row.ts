// DataRow (PostgreSQL docs, "Message Formats"): Int16 column count, then per column an Int32
// length (-1 for NULL) and the bytes. Rewriting builds one new frame per changed row: the cells
// between changed columns are copied as whole runs, so a row costs a few copies, not one per cell.
import { BackendCode } from './codes.js';
import { ProtocolError } from './frame-reader.js';

/** Where each cell's length prefix starts (reused across rows: one row is rewritten at a time). */
let starts = new Int32Array(64);
/** The new values of the changed cells of the row being rewritten (cleared as they are copied). */
let replaced = new Array<Buffer | null>(16);

/** Copies bytes [from, to) of src into dst at `at`: a loop for the short runs a row is made of, copy() past that. */
function copyBytes(src: Buffer, from: number, to: number, dst: Buffer, at: number): number {
  const n = to - from;
  if (n > 32) return src.copy(dst, at, from, to);
  for (let i = 0; i < n; i++) dst[at + i] = src[from + i]!;
  return n;
}

/**
 * Rebuilds a DataRow with the given columns (ascending, as masking plans list them) replaced by
 * `apply`, which gets each non-NULL cell as bytes [start, end) of `buf` (NULL stays NULL); every
 * other cell is copied as it is.
 */
export function rewriteDataRow(
  buf: Buffer,
  bodyStart: number,
  end: number,
  changed: readonly number[],
  apply: (column: number, buf: Buffer, start: number, end: number) => Buffer | null,
): Buffer {
  const count = buf.readInt16BE(bodyStart);
  if (starts.length <= count) starts = new Int32Array(count * 2 + 1);
  const cellsStart = bodyStart + 2;
  let pos = cellsStart;
  for (let i = 0; i < count; i++) {
    if (pos + 4 > end) throw new ProtocolError('DataRow is shorter than its columns');
    starts[i] = pos;
    const len = buf.readInt32BE(pos);
    pos += 4;
    if (len > 0) {
      if (pos + len > end) throw new ProtocolError('DataRow cell runs past the message');
      pos += len;
    }
  }
  starts[count] = pos;

  if (replaced.length < changed.length) replaced = new Array<Buffer | null>(changed.length * 2);
  let cellBytes = pos - cellsStart;
  let previous = -1;
  for (let k = 0; k < changed.length; k++) {
    const c = changed[k]!;
    if (c >= count || c <= previous) throw new Error('rewriteDataRow: changed columns must be ascending and within the row');
    previous = c;
    const at = starts[c]!;
    const len = buf.readInt32BE(at);
    // The transform may hand back a buffer it reuses: it is copied out below, before the next row.
    const next = len < 0 ? null : apply(c, buf, at + 4, at + 4 + len);
    replaced[k] = next;
    cellBytes += (next === null ? 0 : next.length) - (len < 0 ? 0 : len);
  }

  const out = Buffer.allocUnsafe(7 + cellBytes);
  out[0] = BackendCode.DataRow;
  out.writeInt32BE(6 + cellBytes, 1);
  out.writeInt16BE(count, 5);
  let w = 7;
  let from = cellsStart;
  for (let k = 0; k < changed.length; k++) {
    const c = changed[k]!;
    w += copyBytes(buf, from, starts[c]!, out, w);
    const next = replaced[k]!;
    replaced[k] = null;
    if (next === null) {
      out.writeInt32BE(-1, w);
      w += 4;
    } else {
      out.writeInt32BE(next.length, w);
      w += 4 + copyBytes(next, 0, next.length, out, w + 4);
    }
    from = starts[c + 1]!;
  }
  copyBytes(buf, from, pos, out, w);
  return out;
}
