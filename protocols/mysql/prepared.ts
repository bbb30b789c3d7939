// COM_STMT_PREPARE_OK (MySQL docs, "COM_STMT_PREPARE Response") and the fields of
// COM_STMT_EXECUTE the gateway needs (statement id, cursor flags).
import { PayloadReader } from './payload-reader.js';

export interface PrepareOk {
  statementId: number;
  columns: number;
  params: number;
  warnings: number;
}

export function readPrepareOk(buf: Buffer, start: number, end: number): PrepareOk {
  const r = new PayloadReader(buf, start + 1, end);
  const statementId = r.int4();
  const columns = r.int2();
  const params = r.int2();
  r.skip(1); // reserved
  const warnings = r.remaining >= 2 ? r.int2() : 0;
  return { statementId, columns, params, warnings };
}

/** Statement id of a COM_STMT_EXECUTE / CLOSE / RESET / SEND_LONG_DATA / FETCH payload (after its command byte). */
export function readStatementId(buf: Buffer, start: number, end: number): number {
  return new PayloadReader(buf, start + 1, end).int4();
}

/** Cursor flags of a COM_STMT_EXECUTE (0: no cursor; 1: read-only cursor; MySQL docs, "COM_STMT_EXECUTE"). */
export function readExecuteFlags(buf: Buffer, start: number, end: number): number {
  const r = new PayloadReader(buf, start + 5, end);
  return r.int1();
}

/** MariaDB: a statement id of 0xffffffff in EXECUTE means "the statement prepared last". */
export const LAST_PREPARED_STATEMENT = 0xffffffff;
