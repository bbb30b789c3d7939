// Adapts a RowMasker (strings) to the session's RowTransform (cell bytes), for the relays. Text
// format cells are UTF-8 text. Binary format cells are masked only when their bytes are their text
// (PostgreSQL text-like types, jsonb after its version byte; MySQL string types); any other binary
// cell of a masked column is sent as NULL, never raw (see value-types.ts).
import type { ResultColumn, RowTransform } from '../session/types.js';
import type { RowMasker } from './row-masker.js';
import { pgBinaryCellHandling } from './value-types.js';

const PG_JSONB = 3802;
const JSONB_VERSION = 1;

type CellCodec = (value: Buffer, mask: (text: string) => string | null) => Buffer | null;

/**
 * Text cells, one codec per column: the last masked text's bytes are kept, so a strategy that
 * writes the same text again (`redact`, a repeated token) costs no new buffer (the row rewrite
 * copies the bytes out).
 */
function textCell(): CellCodec {
  let lastText: string | undefined;
  let lastBytes: Buffer | undefined;
  return (value, mask) => {
    const masked = mask(value.toString('utf8'));
    if (masked === null) return null;
    if (masked !== lastText) {
      lastText = masked;
      lastBytes = Buffer.from(masked, 'utf8');
    }
    return lastBytes!;
  };
}

const jsonbCell: CellCodec = (value, mask) => {
  if (value[0] !== JSONB_VERSION) return null;
  const masked = mask(value.subarray(1).toString('utf8'));
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
  const codecs: CellCodec[] = columns.map((column) => {
    if (column.format === 'text') return textCell();
    if (protocol === 'mysql') return mysqlBinaryText(column) ? textCell() : nullCell;
    if (pgBinaryCellHandling(column.typeId) === 'null') return nullCell;
    return column.typeId === PG_JSONB ? jsonbCell : textCell();
  });
  return {
    columns: masker.columns,
    apply(column: number, value: Buffer | null): Buffer | null {
      if (value === null) return null;
      const codec = codecs[column] ?? nullCell;
      return codec(value, (text) => masker.apply(column, text));
    },
  };
}
