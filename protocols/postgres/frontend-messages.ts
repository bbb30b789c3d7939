// Decoders for the client (frontend) messages the gateway must understand
// (PostgreSQL docs, "Message Formats"). Everything else is forwarded as bytes.
import { BodyReader } from './body-reader.js';
import { ProtocolError } from './frame-reader.js';
import { StartupCode } from './codes.js';

export type StartupPacket =
  | { kind: 'ssl' }
  | { kind: 'gssenc' }
  | { kind: 'cancel'; processId: number; secretKey: number }
  | { kind: 'startup'; version: number; params: Map<string, string> };

/** Decodes an untyped startup-phase frame (SSLRequest, GSSENCRequest, CancelRequest, StartupMessage). */
export function decodeStartupPacket(buf: Buffer, bodyStart: number, end: number): StartupPacket {
  const r = new BodyReader(buf, bodyStart, end);
  const code = r.int32();
  switch (code) {
    case StartupCode.SSLRequest:
      return { kind: 'ssl' };
    case StartupCode.GSSENCRequest:
      return { kind: 'gssenc' };
    case StartupCode.CancelRequest:
      return { kind: 'cancel', processId: r.int32(), secretKey: r.int32() };
  }
  if (code >>> 16 !== 3) {
    throw new ProtocolError(`unsupported frontend protocol ${code >>> 16}.${code & 0xffff}: server supports 3.0`, '0A000');
  }
  const params = new Map<string, string>();
  while (r.remaining > 0) {
    const key = r.cstring();
    if (key === '') break;
    params.set(key, r.cstring());
  }
  return { kind: 'startup', version: code, params };
}

export function decodeQuery(buf: Buffer, bodyStart: number, end: number): string {
  return new BodyReader(buf, bodyStart, end).cstring();
}

export interface ParseMessage {
  statement: string;
  sql: string;
  paramTypes: number[];
}

export function decodeParse(buf: Buffer, bodyStart: number, end: number): ParseMessage {
  const r = new BodyReader(buf, bodyStart, end);
  const statement = r.cstring();
  const sql = r.cstring();
  const n = r.int16();
  const paramTypes: number[] = [];
  for (let i = 0; i < n; i++) paramTypes.push(r.uint32());
  return { statement, sql, paramTypes };
}

export interface BindMessage {
  portal: string;
  statement: string;
  /** Format codes of the parameters (0 text, 1 binary), as sent: empty, one for all, or one each. */
  paramFormats: number[];
  /** Parameter values as views of the message; null for SQL NULL. */
  params: (Buffer | null)[];
  /** Result column format codes, as sent: empty (all text), one for all, or one each. */
  resultFormats: number[];
}

export function decodeBind(buf: Buffer, bodyStart: number, end: number): BindMessage {
  const r = new BodyReader(buf, bodyStart, end);
  const portal = r.cstring();
  const statement = r.cstring();
  const paramFormats: number[] = [];
  for (let n = r.int16(), i = 0; i < n; i++) paramFormats.push(r.int16());
  const params: (Buffer | null)[] = [];
  for (let n = r.int16(), i = 0; i < n; i++) {
    const len = r.int32();
    params.push(len === -1 ? null : r.bytes(len));
  }
  const resultFormats: number[] = [];
  for (let n = r.int16(), i = 0; i < n; i++) resultFormats.push(r.int16());
  return { portal, statement, paramFormats, params, resultFormats };
}

/** What the relay needs of a Bind on its hot path: the names and the result formats, params skipped. */
export interface BindTarget {
  portal: string;
  statement: string;
  resultFormats: number[];
}

const TEXT_RESULTS: number[] = [];

export function decodeBindTarget(buf: Buffer, bodyStart: number, end: number): BindTarget {
  const r = new BodyReader(buf, bodyStart, end);
  const portal = r.cstring();
  const statement = r.cstring();
  r.bytes(2 * r.int16()); // parameter format codes
  for (let n = r.int16(), i = 0; i < n; i++) {
    const len = r.int32();
    if (len > 0) r.bytes(len);
  }
  const n = r.int16();
  if (n === 0) return { portal, statement, resultFormats: TEXT_RESULTS };
  const resultFormats: number[] = new Array(n);
  for (let i = 0; i < n; i++) resultFormats[i] = r.int16();
  return { portal, statement, resultFormats };
}

/** Describe and Close: 'S' for a prepared statement, 'P' for a portal. */
export interface TargetMessage {
  target: 'S' | 'P';
  name: string;
}

export function decodeTarget(buf: Buffer, bodyStart: number, end: number): TargetMessage {
  const r = new BodyReader(buf, bodyStart, end);
  const t = r.byte();
  if (t !== 0x53 && t !== 0x50) throw new ProtocolError(`invalid target type '${String.fromCharCode(t)}'`);
  return { target: t === 0x53 ? 'S' : 'P', name: r.cstring() };
}

export interface ExecuteMessage {
  portal: string;
  /** 0 means no limit. */
  maxRows: number;
}

export function decodeExecute(buf: Buffer, bodyStart: number, end: number): ExecuteMessage {
  const r = new BodyReader(buf, bodyStart, end);
  return { portal: r.cstring(), maxRows: r.int32() };
}

/** PasswordMessage body as text (the cleartext password: here, the token). */
export function decodePassword(buf: Buffer, bodyStart: number, end: number): string {
  const zero = buf.indexOf(0, bodyStart);
  const stop = zero < 0 || zero >= end ? end : zero;
  return buf.toString('utf8', bodyStart, stop);
}
