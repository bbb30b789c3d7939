// DataRow (PostgreSQL docs, "Message Formats"): Int16 column count, then per column an Int32
// length (-1 for NULL) and the bytes. Rewriting builds one new frame per changed row.
import { BackendCode } from './codes.js';
import { ProtocolError } from './frame-reader.js';

/** Rebuilds a DataRow with the given columns replaced by `apply`; other cells are copied as they are. */
export function rewriteDataRow(
  buf: Buffer,
  bodyStart: number,
  end: number,
  changed: readonly number[],
  apply: (column: number, value: Buffer | null) => Buffer | null,
): Buffer {
  const count = buf.readInt16BE(bodyStart);
  const cells: (Buffer | null)[] = new Array(count);
  let pos = bodyStart + 2;
  for (let i = 0; i < count; i++) {
    if (pos + 4 > end) throw new ProtocolError('DataRow is shorter than its columns');
    const len = buf.readInt32BE(pos);
    pos += 4;
    if (len < 0) {
      cells[i] = null;
      continue;
    }
    if (pos + len > end) throw new ProtocolError('DataRow cell runs past the message');
    cells[i] = buf.subarray(pos, pos + len);
    pos += len;
  }
  for (const c of changed) if (c < count) cells[c] = apply(c, cells[c] ?? null);
  let size = 1 + 4 + 2;
  for (const cell of cells) size += 4 + (cell ? cell.length : 0);
  const out = Buffer.allocUnsafe(size);
  out[0] = BackendCode.DataRow;
  out.writeInt32BE(size - 1, 1);
  out.writeInt16BE(count, 5);
  let w = 7;
  for (const cell of cells) {
    if (cell === null) {
      out.writeInt32BE(-1, w);
      w += 4;
    } else {
      out.writeInt32BE(cell.length, w);
      cell.copy(out, w + 4);
      w += 4 + cell.length;
    }
  }
  return out;
}
