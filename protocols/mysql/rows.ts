// Result rows (MySQL docs, "Text Resultset" ProtocolText::ResultsetRow and "Binary Protocol
// Resultset" ProtocolBinary::ResultsetRow), read and rewritten for masking. A rewritten row is
// a new payload with its lengths rebuilt; an untouched row is never copied.
import { ColumnType } from './constants.js';
import { MysqlProtocolError } from './packet-reader.js';
import { PacketWriter } from './packet-writer.js';
import { PayloadReader } from './payload-reader.js';

/** Changes a cell: gets the cell's value (null for NULL), returns the new one. */
export type CellRewrite = (column: number, value: Buffer | null) => Buffer | null;

const NULL_CELL = 0xfb;

/** The cells of a text row: each a string<lenenc>, or 0xfb for NULL. Views, not copies. */
export function readTextRow(buf: Buffer, start: number, end: number, columns: number): (Buffer | null)[] {
  const r = new PayloadReader(buf, start, end);
  const out: (Buffer | null)[] = [];
  for (let c = 0; c < columns; c++) {
    if (buf[r.pos] === NULL_CELL) {
      r.skip(1);
      out.push(null);
    } else out.push(r.lenencBytes());
  }
  if (r.remaining !== 0) throw new MysqlProtocolError('text row longer than its columns');
  return out;
}

/**
 * A text row with the listed columns rewritten, as a payload; undefined when nothing changed.
 * `changed` lists column indexes in ascending order.
 */
export function rewriteTextRow(buf: Buffer, start: number, end: number, columns: number, changed: readonly number[], rewrite: CellRewrite): Buffer | undefined {
  const cells = readTextRow(buf, start, end, columns);
  let any = false;
  for (const c of changed) {
    if (c >= columns) continue;
    const before = cells[c]!;
    const after = rewrite(c, before);
    if (after === before || (after !== null && before !== null && after.equals(before))) continue;
    cells[c] = after;
    any = true;
  }
  if (!any) return undefined;
  const w = new PacketWriter(end - start + 64);
  for (const cell of cells) {
    if (cell === null) w.int1(NULL_CELL);
    else w.lenencBytes(cell);
  }
  return w.take();
}

/** Bytes of the NULL bitmap of a binary row: offset 2 (MySQL docs, "NULL-Bitmap"). */
export function binaryNullBitmapSize(columns: number): number {
  return (columns + 7 + 2) >> 3;
}

/** True when the bitmap (at `bitmapStart`) marks this column NULL. */
function isNullAt(buf: Buffer, bitmapStart: number, column: number): boolean {
  const bit = column + 2;
  return (buf[bitmapStart + (bit >> 3)]! & (1 << (bit & 7))) !== 0;
}

/** Fixed sizes of binary values; -1: one length byte then the value (temporal); 0: string<lenenc>. */
function binarySize(type: number): number {
  switch (type) {
    case ColumnType.TINY:
      return 1;
    case ColumnType.SHORT:
    case ColumnType.YEAR:
      return 2;
    case ColumnType.LONG:
    case ColumnType.INT24:
    case ColumnType.FLOAT:
      return 4;
    case ColumnType.LONGLONG:
    case ColumnType.DOUBLE:
      return 8;
    case ColumnType.DATE:
    case ColumnType.DATETIME:
    case ColumnType.TIMESTAMP:
    case ColumnType.TIME:
      return -1;
    case ColumnType.NULL:
      return -2;
    default:
      return 0;
  }
}

/** Where each value of a binary row starts and ends (null for NULL). */
function binaryCells(buf: Buffer, start: number, end: number, types: readonly number[]): ({ at: number; valueStart: number; valueEnd: number } | null)[] {
  if (buf[start] !== 0x00) throw new MysqlProtocolError('binary row without its 0x00 header');
  const bitmap = start + 1;
  let pos = bitmap + binaryNullBitmapSize(types.length);
  if (pos > end) throw new MysqlProtocolError('binary row shorter than its NULL bitmap');
  const out: ({ at: number; valueStart: number; valueEnd: number } | null)[] = [];
  for (let c = 0; c < types.length; c++) {
    if (isNullAt(buf, bitmap, c)) {
      out.push(null);
      continue;
    }
    const size = binarySize(types[c]!);
    const at = pos;
    let valueStart = pos;
    if (size > 0) pos += size;
    else if (size === -1) {
      if (pos >= end) throw new MysqlProtocolError('binary row shorter than its values');
      valueStart = pos + 1;
      pos = valueStart + buf[pos]!;
    } else if (size === 0) {
      const r = new PayloadReader(buf, pos, end);
      const len = r.lenencInt();
      valueStart = r.pos;
      pos = valueStart + len;
    }
    if (pos > end) throw new MysqlProtocolError('binary row shorter than its values');
    out.push({ at, valueStart, valueEnd: pos });
  }
  if (pos !== end) throw new MysqlProtocolError('binary row longer than its columns');
  return out;
}

/** The values of a binary row as raw bytes (fixed-size integers little-endian, temporals without their length byte). */
export function readBinaryRow(buf: Buffer, start: number, end: number, types: readonly number[]): (Buffer | null)[] {
  return binaryCells(buf, start, end, types).map((c) => (c ? buf.subarray(c.valueStart, c.valueEnd) : null));
}

/**
 * A binary row with the listed columns rewritten; undefined when nothing changed. A new value
 * for a fixed-size type must keep its size, and a temporal one must fit its length byte;
 * otherwise the cell becomes NULL (fail closed: the original never leaves).
 */
export function rewriteBinaryRow(buf: Buffer, start: number, end: number, types: readonly number[], changed: readonly number[], rewrite: CellRewrite): Buffer | undefined {
  const cells = binaryCells(buf, start, end, types);
  const values: (Buffer | null)[] = cells.map((c) => (c ? buf.subarray(c.valueStart, c.valueEnd) : null));
  let any = false;
  for (const c of changed) {
    if (c >= types.length) continue;
    const before = values[c]!;
    let after = rewrite(c, before);
    if (after === before || (after !== null && before !== null && after.equals(before))) continue;
    const size = binarySize(types[c]!);
    if (after !== null && ((size > 0 && after.length !== size) || (size === -1 && after.length > 0xff) || size === -2)) after = null;
    values[c] = after;
    any = true;
  }
  if (!any) return undefined;
  const w = new PacketWriter(end - start + 64);
  w.int1(0x00);
  const bitmap = Buffer.alloc(binaryNullBitmapSize(types.length));
  values.forEach((v, c) => {
    if (v === null) bitmap[(c + 2) >> 3]! |= 1 << ((c + 2) & 7);
  });
  w.bytes(bitmap);
  values.forEach((v, c) => {
    if (v === null) return;
    const size = binarySize(types[c]!);
    if (size > 0) w.bytes(v);
    else if (size === -1) w.int1(v.length).bytes(v);
    else w.lenencBytes(v);
  });
  return w.take();
}
