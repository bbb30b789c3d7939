// OK, ERR and EOF packets (MySQL docs, "Generic Response Packets": OK_Packet, ERR_Packet,
// EOF_Packet). Under CLIENT_DEPRECATE_EOF an OK packet with header 0xfe ends a result set.
import { Header } from './constants.js';
import type { PacketWriter } from './packet-writer.js';
import { PayloadReader } from './payload-reader.js';

export interface OkPacket {
  affectedRows: number;
  lastInsertId: number;
  status: number;
  warnings: number;
  info: string;
}

export interface ErrPacket {
  errno: number;
  /** Five characters. */
  sqlState: string;
  message: string;
}

/** OK_Packet (PROTOCOL_41, without SESSION_TRACK), or its 0xfe form ending a result set. */
export function writeOk(w: PacketWriter, seq: number, ok: Partial<OkPacket> = {}, header: number = Header.OK): number {
  w.begin(seq).int1(header).lenenc(ok.affectedRows ?? 0).lenenc(ok.lastInsertId ?? 0).int2(ok.status ?? 0).int2(ok.warnings ?? 0);
  if (ok.info) w.string(ok.info);
  return w.end();
}

/** ERR_Packet with PROTOCOL_41: 0xff, error number, '#', SQLSTATE, message. */
export function writeErr(w: PacketWriter, seq: number, err: ErrPacket): number {
  const state = (err.sqlState + 'HY000').slice(0, 5);
  return w.begin(seq).int1(Header.ERR).int2(err.errno).string('#').string(state).string(err.message).end();
}

/** EOF_Packet (PROTOCOL_41). */
export function writeEof(w: PacketWriter, seq: number, status: number, warnings = 0): number {
  return w.begin(seq).int1(Header.EOF).int2(warnings).int2(status).end();
}

export function readOk(buf: Buffer, start: number, end: number): OkPacket {
  const r = new PayloadReader(buf, start + 1, end);
  const affectedRows = r.lenencInt();
  const lastInsertId = r.lenencInt();
  const status = r.remaining >= 2 ? r.int2() : 0;
  const warnings = r.remaining >= 2 ? r.int2() : 0;
  return { affectedRows, lastInsertId, status, warnings, info: '' };
}

export function readErr(buf: Buffer, start: number, end: number): ErrPacket {
  const r = new PayloadReader(buf, start + 1, end);
  const errno = r.int2();
  let sqlState = 'HY000';
  // A '#' marker and SQLSTATE follow under PROTOCOL_41 (missing in errors sent before the handshake).
  if (r.remaining >= 6 && buf[r.pos] === 0x23) {
    r.skip(1);
    sqlState = r.bytes(5).toString('latin1');
  }
  return { errno, sqlState, message: r.rest().toString('utf8') };
}

/**
 * True for a packet that ends a result set: EOF_Packet, or its OK replacement under
 * DEPRECATE_EOF. A row can start with 0xfe too, but only when it is 16 MiB or longer.
 */
export function isEndOfRows(buf: Buffer, start: number, end: number): boolean {
  return buf[start] === Header.EOF && end - start < 0xffffff;
}

/** Status flags of an EOF packet or of an OK packet (either header). */
export function endStatus(buf: Buffer, start: number, end: number, deprecateEof: boolean): number {
  if (!deprecateEof && end - start <= 5 && buf[start] === Header.EOF) {
    return end - start >= 5 ? buf.readUInt16LE(start + 3) : 0;
  }
  return readOk(buf, start, end).status;
}
