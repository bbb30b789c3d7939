// Which column types a masked value stays valid for. A masking strategy writes text; the client
// parses that text with the column's declared type, so a strategy may only write into types whose
// text form it keeps valid. Anywhere else the cell becomes NULL (see docs/masking.md, "Types").
import type { MaskingStrategyName } from '../policy/config/types.js';

/** Protocol-neutral family of a column type, as far as masking cares. */
export type ValueType =
  | 'text' // text, varchar, char/bpchar, name, citext, MySQL CHAR/VARCHAR/TEXT/ENUM/SET
  | 'json' // json, jsonb, MySQL JSON
  | 'date'
  | 'timestamp' // timestamp, timestamptz, MySQL DATETIME/TIMESTAMP
  | 'integer'
  | 'decimal' // numeric, float, MySQL DECIMAL/FLOAT/DOUBLE
  | 'other'; // everything else: bytea, uuid, inet, arrays, time, interval, geometry, bit, ...

/** PostgreSQL type OIDs of the built-in types (pg_type.dat). */
const pgTypes: ReadonlyMap<number, ValueType> = new Map<number, ValueType>([
  [18, 'text'], // "char"
  [19, 'text'], // name
  [25, 'text'], // text
  [705, 'text'], // unknown (untyped literals)
  [1042, 'text'], // bpchar
  [1043, 'text'], // varchar
  [114, 'json'],
  [3802, 'json'], // jsonb
  [1082, 'date'],
  [1114, 'timestamp'],
  [1184, 'timestamp'], // timestamptz
  [20, 'integer'], // int8
  [21, 'integer'], // int2
  [23, 'integer'], // int4
  [26, 'integer'], // oid
  [700, 'decimal'], // float4
  [701, 'decimal'], // float8
  [1700, 'decimal'], // numeric
]);

/**
 * The family of a PostgreSQL type OID. Types created by extensions or users (citext, domains,
 * enums) have OIDs that differ per database: they come back `other` (masked cells become NULL)
 * unless the caller resolves them to a base type first.
 */
export function pgValueType(typeOid: number): ValueType {
  return pgTypes.get(typeOid) ?? 'other';
}

/** MySQL column types (include/field_types.h); `binary` charset 63 makes the string types bytes. */
const mysqlTypes: ReadonlyMap<number, ValueType> = new Map<number, ValueType>([
  [0, 'decimal'], // DECIMAL
  [1, 'integer'], // TINY
  [2, 'integer'], // SHORT
  [3, 'integer'], // LONG
  [4, 'decimal'], // FLOAT
  [5, 'decimal'], // DOUBLE
  [7, 'timestamp'], // TIMESTAMP
  [8, 'integer'], // LONGLONG
  [9, 'integer'], // INT24
  [10, 'date'], // DATE
  [12, 'timestamp'], // DATETIME
  [13, 'integer'], // YEAR
  [14, 'date'], // NEWDATE
  [15, 'text'], // VARCHAR
  [17, 'timestamp'], // TIMESTAMP2
  [18, 'timestamp'], // DATETIME2
  [245, 'json'], // JSON
  [246, 'decimal'], // NEWDECIMAL
  [247, 'text'], // ENUM
  [248, 'text'], // SET
  [249, 'text'], // TINY_BLOB (TINYTEXT unless binary)
  [250, 'text'], // MEDIUM_BLOB
  [251, 'text'], // LONG_BLOB
  [252, 'text'], // BLOB (TEXT unless binary)
  [253, 'text'], // VAR_STRING
  [254, 'text'], // STRING
]);

const mysqlBinaryCharset = 63;

/** The family of a MySQL column definition's type and character set. */
export function mysqlValueType(columnType: number, charset: number): ValueType {
  const type = mysqlTypes.get(columnType) ?? 'other';
  return type === 'text' && charset === mysqlBinaryCharset ? 'other' : type;
}

/**
 * Types each strategy writes valid text for. `generalize` writes type-shaped output (a date
 * generalised to its year becomes `YYYY-01-01` in a date column); the rest write free text.
 */
const validTypes: Record<MaskingStrategyName, ReadonlySet<ValueType>> = {
  null: new Set<ValueType>(['text', 'json', 'date', 'timestamp', 'integer', 'decimal', 'other']),
  redact: new Set<ValueType>(['text']),
  hash: new Set<ValueType>(['text']),
  partial: new Set<ValueType>(['text']),
  email: new Set<ValueType>(['text']),
  generalize: new Set<ValueType>(['text', 'date', 'timestamp', 'integer', 'decimal']),
  // Not integer: same digit count can overflow the column's range (2147483647 -> 9847362910).
  format: new Set<ValueType>(['text']),
  // Replacements hold no quote or backslash and built-in detectors never match one; a document
  // whose masked form still does not parse (an identifier as a bare number) becomes NULL.
  detect: new Set<ValueType>(['text', 'json']),
};

/** True when `strategy` writes text a client parses as `type`; otherwise the cell must become NULL. */
export function keepsTypeValid(strategy: MaskingStrategyName, type: ValueType): boolean {
  return validTypes[strategy].has(type);
}

/** PostgreSQL types whose binary wire format is their text (jsonb: a version byte 1, then the text). */
const pgBinaryAsText: ReadonlySet<number> = new Set([18, 19, 25, 114, 705, 1042, 1043, 3802]);

/**
 * How a binary-format PostgreSQL cell of a masked column is handled: `text` when its bytes are its
 * UTF-8 text (decode, mask with the text strategy, re-encode; for jsonb strip and restore the
 * leading version byte 1), `null` when it cannot be masked in place and must be sent as NULL.
 */
export function pgBinaryCellHandling(typeOid: number): 'text' | 'null' {
  return pgBinaryAsText.has(typeOid) ? 'text' : 'null';
}
