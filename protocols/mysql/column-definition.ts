// Column_Definition41 (MySQL docs, "Column Definition"): the origin of a result column
// (schema, org_table, org_name) is kept so masking can find its rule by origin.
import { PayloadReader } from './payload-reader.js';

export interface ColumnDefinition {
  schema: string;
  /** Table alias as the query named it. */
  table: string;
  /** The underlying table (empty for an expression). */
  orgTable: string;
  name: string;
  /** The underlying column (empty for an expression). */
  orgName: string;
  charset: number;
  length: number;
  type: number;
  flags: number;
  decimals: number;
}

export function readColumnDefinition(buf: Buffer, start: number, end: number): ColumnDefinition {
  const r = new PayloadReader(buf, start, end);
  r.lenencBytes(); // catalog: always "def"
  const schema = r.lenencString();
  const table = r.lenencString();
  const orgTable = r.lenencString();
  const name = r.lenencString();
  const orgName = r.lenencString();
  r.lenencInt(); // length of the fixed fields: 0x0c
  const charset = r.int2();
  const length = r.int4();
  const type = r.int1();
  const flags = r.int2();
  const decimals = r.int1();
  return { schema, table, orgTable, name, orgName, charset, length, type, flags, decimals };
}
