// How the session's refusals look on the MySQL wire: an ERR packet whose error number a MySQL
// client understands, the SQLSTATE kept as the pipeline gave it, and the message and hint
// written for an agent to act on.
import { ErrorCode } from '../../protocols/mysql/constants.js';
import type { ErrPacket } from '../../protocols/mysql/generic-packets.js';
import type { Denial } from '../session/types.js';

/** SQLSTATE -> the closest server error number (MySQL docs, "Server Error Message Reference"). */
const ERRNO_BY_SQLSTATE: Record<string, number> = {
  '42501': ErrorCode.TABLEACCESS_DENIED,
  '28000': ErrorCode.ACCESS_DENIED,
  '28P01': ErrorCode.ACCESS_DENIED,
  '0A000': ErrorCode.NOT_SUPPORTED_YET,
  '54000': ErrorCode.TOO_BIG_SELECT,
  '3D000': ErrorCode.BAD_DB,
};

export function denialErr(d: Denial): ErrPacket {
  const parts = [d.message];
  if (d.hint) parts.push(`(hint: ${d.hint})`);
  // MySQL errors have no detail field: the rule goes into the message, unless it already names it.
  if (d.rule && !d.message.includes(d.rule)) parts.push(`[rule: ${d.rule}]`);
  return { errno: ERRNO_BY_SQLSTATE[d.sqlState] ?? ErrorCode.SPECIFIC_ACCESS_DENIED, sqlState: d.sqlState, message: parts.join(' ') };
}

export function accessDenied(message: string): ErrPacket {
  return { errno: ErrorCode.ACCESS_DENIED, sqlState: '28000', message };
}
