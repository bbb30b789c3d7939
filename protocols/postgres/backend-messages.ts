// Encoders for the server (backend) messages the gateway itself sends, and decoders for the
// upstream messages it inspects (PostgreSQL docs, "Message Formats").
import { BodyReader } from './body-reader.js';
import { AuthCode, BackendCode, type TransactionStatus } from './codes.js';
import { MessageWriter } from './writer.js';

export function writeAuthentication(w: MessageWriter, code: number): MessageWriter {
  return w.begin(BackendCode.Authentication).int32(code).end();
}

export const writeAuthOk = (w: MessageWriter) => writeAuthentication(w, AuthCode.Ok);
export const writeAuthCleartext = (w: MessageWriter) => writeAuthentication(w, AuthCode.CleartextPassword);

export function writeParameterStatus(w: MessageWriter, name: string, value: string): MessageWriter {
  return w.begin(BackendCode.ParameterStatus).cstring(name).cstring(value).end();
}

export function writeBackendKeyData(w: MessageWriter, processId: number, secretKey: number): MessageWriter {
  return w.begin(BackendCode.BackendKeyData).int32(processId).int32(secretKey).end();
}

export function writeReadyForQuery(w: MessageWriter, status: TransactionStatus): MessageWriter {
  return w.begin(BackendCode.ReadyForQuery).int8(status.charCodeAt(0)).end();
}

export function readReadyStatus(buf: Buffer, bodyStart: number): TransactionStatus {
  return String.fromCharCode(buf[bodyStart]!) as TransactionStatus;
}

export function readBackendKeyData(buf: Buffer, bodyStart: number, end: number): { processId: number; secretKey: number } {
  const r = new BodyReader(buf, bodyStart, end);
  return { processId: r.int32(), secretKey: r.int32() };
}

export function readParameterStatus(buf: Buffer, bodyStart: number, end: number): { name: string; value: string } {
  const r = new BodyReader(buf, bodyStart, end);
  return { name: r.cstring(), value: r.cstring() };
}

/** CommandComplete tag, such as `SELECT 5` or `INSERT 0 1`. */
export function readCommandTag(buf: Buffer, bodyStart: number, end: number): string {
  return new BodyReader(buf, bodyStart, end).cstring();
}

/** One column of a RowDescription. */
export interface FieldDescription {
  name: string;
  /** OID of the source table, 0 when the column is not a plain table column. */
  tableOid: number;
  /** Attribute number within the source table, 0 when not a plain table column. */
  columnAttr: number;
  typeOid: number;
  typeSize: number;
  typeModifier: number;
  /** 0 text, 1 binary. */
  format: number;
}

export function readRowDescription(buf: Buffer, bodyStart: number, end: number): FieldDescription[] {
  const r = new BodyReader(buf, bodyStart, end);
  const n = r.int16();
  const fields: FieldDescription[] = [];
  for (let i = 0; i < n; i++) {
    fields.push({
      name: r.cstring(),
      tableOid: r.uint32(),
      columnAttr: r.int16(),
      typeOid: r.uint32(),
      typeSize: r.int16(),
      typeModifier: r.int32(),
      format: r.int16(),
    });
  }
  return fields;
}

/** Field type codes of ErrorResponse and NoticeResponse. */
export const ErrorField = {
  Severity: 0x53, // S (localized)
  SeverityV: 0x56, // V (never localized)
  Code: 0x43, // C
  Message: 0x4d, // M
  Detail: 0x44, // D
  Hint: 0x48, // H
} as const;

export function readErrorFields(buf: Buffer, bodyStart: number, end: number): Map<string, string> {
  const r = new BodyReader(buf, bodyStart, end);
  const fields = new Map<string, string>();
  while (r.remaining > 0) {
    const type = r.byte();
    if (type === 0) break;
    fields.set(String.fromCharCode(type), r.cstring());
  }
  return fields;
}

/**
 * NotificationResponse (int32 pid, channel, payload) with its payload rewritten; undefined when
 * the rewrite changes nothing. Payloads come from any session's NOTIFY, so they can carry values.
 */
export function rewriteNotification(buf: Buffer, bodyStart: number, end: number, rewrite: (text: string) => string): Buffer | undefined {
  const r = new BodyReader(buf, bodyStart, end);
  const pid = r.int32();
  const channel = r.cstring();
  const payload = r.cstring();
  const next = rewrite(payload);
  if (next === payload) return undefined;
  return new MessageWriter(end - bodyStart + 64).begin(BackendCode.NotificationResponse).int32(pid).cstring(channel).cstring(next).end().take();
}
