// Adapts a RowMasker (strings) to the session's RowTransform (cell bytes), for the relays. Text
// format cells are UTF-8 text. Binary format cells are masked only when their bytes are their text
// (PostgreSQL text-like types, jsonb after its version byte; MySQL string types); any other binary
// cell of a masked column is sent as NULL, never raw (see value-types.ts).
import type { ResultColumn, RowTransform } from '../session/types.js';
import type { RowMasker } from './row-masker.js';
import { pgBinaryCellHandling } from './value-types.js';

const PG_JSONB = 3802;
const JSONB_VERSION = 1;

type CellCodec = (buf: Buffer, start: number, end: number, mask: (text: string) => string | null) => Buffer | null;

/**
 * Text cells, one codec per column: the last masked text's bytes are kept, so a strategy that
 * writes the same text again (`redact`, a repeated token) costs no new buffer (the row rewrite
 * copies the bytes out).
 */
function textCell(): CellCodec {
  let lastText: string | undefined;
  let lastBytes: Buffer | undefined;
  return (buf, start, end, mask) => {
    const masked = mask(buf.toString('utf8', start, end));
    if (masked === null) return null;
    if (masked !== lastText) {
      lastText = masked;
      lastBytes = Buffer.from(masked, 'utf8');
    }
    return lastBytes!;
  };
}

/** Values up to this many bytes are remembered by repeatedCell; longer ones (free text) are not. */
const REPEAT_MAX_BYTES = 128;
/** Slots of repeatedCell's table (a power of two): distinct values remembered per column and result set. */
const REPEAT_SLOTS = 4096;
const REPEAT_PROBE = 2048;
const REPEAT_MIN_HITS = 0.25;

/**
 * Text cells of a column whose masking depends on the value alone (RowMasker.repeatable): results
 * are kept by the cell's bytes for this result set, so a value seen before (names, codes, the
 * same patient on many joined rows) costs a hash of its bytes and a compare: no decoding, no
 * strategy, no encoding. A direct-mapped table: a value whose slot is taken replaces it.
 */
function repeatedCell(onReuse: () => void): CellCodec {
  const decode = textCell();
  // Keys are latin1 strings (one character per byte) and results unpooled buffers: a small
  // pooled Buffer kept in the table would keep its whole 8 KB pool slab alive.
  const keys: (string | undefined)[] = new Array<string | undefined>(REPEAT_SLOTS);
  const results: (Buffer | null)[] = new Array<Buffer | null>(REPEAT_SLOTS);
  let lastMasked: Buffer | null = null;
  let lastKept: Buffer | null = null;
  let lookups = 0;
  let hits = 0;
  let off = false;
  return (buf, start, end, mask) => {
    const n = end - start;
    if (off || n > REPEAT_MAX_BYTES) return decode(buf, start, end, mask);
    // A column of mostly distinct values would only fill the table (and the old generation) with
    // keys: after each REPEAT_PROBE lookups, a hit rate under REPEAT_MIN_HITS turns the memo off.
    if (++lookups % REPEAT_PROBE === 0 && hits < lookups * REPEAT_MIN_HITS) {
      off = true;
      keys.fill(undefined);
      results.fill(null);
      return decode(buf, start, end, mask);
    }
    // FNV-1a over the bytes.
    let h = 0x811c9dc5 ^ n;
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    const slot = h & (REPEAT_SLOTS - 1);
    const key = keys[slot];
    if (key !== undefined && key.length === n && sameBytes(key, buf, start)) {
      hits++;
      onReuse();
      return results[slot] ?? null;
    }
    const masked = decode(buf, start, end, mask);
    // decode() hands back the same buffer while the masked text repeats (redact, a constant).
    if (masked !== lastMasked) {
      lastMasked = masked;
      lastKept = masked === null ? null : unpooledCopy(masked);
    }
    keys[slot] = buf.toString('latin1', start, end);
    results[slot] = lastKept;
    return lastKept;
  };
}

function sameBytes(key: string, buf: Buffer, start: number): boolean {
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) !== buf[start + i]) return false;
  return true;
}

function unpooledCopy(bytes: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(copy);
  return copy;
}

const jsonbCell: CellCodec = (buf, start, end, mask) => {
  if (end <= start || buf[start] !== JSONB_VERSION) return null;
  const masked = mask(buf.toString('utf8', start + 1, end));
  return masked === null ? null : Buffer.concat([Buffer.from([JSONB_VERSION]), Buffer.from(masked, 'utf8')]);
};

const nullCell: CellCodec = () => null;

/**
 * `mysqlBinaryText(column)`: for MySQL binary-protocol rows, whether the column's value bytes are
 * its text (string types of a text character set); the MySQL relay knows the column definition.
 */
export function maskingRowTransform(
  masker: RowMasker,
  columns: readonly ResultColumn[],
  protocol: 'postgres' | 'mysql',
  mysqlBinaryText: (column: ResultColumn) => boolean = () => false,
): RowTransform {
  const text = (index: number): CellCodec => (masker.repeatable(index) ? repeatedCell(() => masker.reused(index)) : textCell());
  const codecs: CellCodec[] = columns.map((column, index) => {
    if (column.format === 'text') return text(index);
    if (protocol === 'mysql') return mysqlBinaryText(column) ? text(index) : nullCell;
    if (pgBinaryCellHandling(column.typeId) === 'null') return nullCell;
    return column.typeId === PG_JSONB ? jsonbCell : text(index);
  });
  return {
    columns: masker.columns,
    apply(column: number, buf: Buffer, start: number, end: number): Buffer | null {
      const codec = codecs[column] ?? nullCell;
      return codec(buf, start, end, (text) => masker.apply(column, text));
    },
  };
}
