// The one place that builds ErrorResponse and NoticeResponse frames.
import { BackendCode } from './codes.js';
import { ErrorField, readErrorFields } from './backend-messages.js';
import { MessageWriter } from './writer.js';

export type Severity = 'ERROR' | 'FATAL' | 'PANIC' | 'WARNING' | 'NOTICE' | 'INFO' | 'LOG' | 'DEBUG';

export interface ErrorNotice {
  severity: Severity;
  /** SQLSTATE, five characters. */
  code: string;
  message: string;
  detail?: string;
  /** What the client can do about it: agents read this. */
  hint?: string;
}

export function writeErrorNotice(w: MessageWriter, e: ErrorNotice, kind: 'error' | 'notice' = 'error'): MessageWriter {
  w.begin(kind === 'error' ? BackendCode.ErrorResponse : BackendCode.NoticeResponse);
  w.int8(ErrorField.Severity).cstring(e.severity);
  w.int8(ErrorField.SeverityV).cstring(e.severity);
  w.int8(ErrorField.Code).cstring(e.code);
  w.int8(ErrorField.Message).cstring(e.message);
  if (e.detail) w.int8(ErrorField.Detail).cstring(e.detail);
  if (e.hint) w.int8(ErrorField.Hint).cstring(e.hint);
  return w.int8(0).end();
}

export function errorFrame(e: ErrorNotice): Buffer {
  return writeErrorNotice(new MessageWriter(128), e).take();
}

/**
 * Fields of a server ErrorResponse / NoticeResponse that can quote data back (message, detail,
 * hint, context, ...). Severity, SQLSTATE, position and the server's source location cannot.
 */
const STRUCTURAL_FIELDS = new Set(['S', 'V', 'C', 'P', 'p', 'F', 'L', 'R']);

/**
 * Rebuilds a server error or notice with its free-text fields passed through `rewrite`
 * (PostgreSQL docs, "Error and Notice Message Fields"); undefined when nothing changed.
 */
export function rewriteErrorNotice(buf: Buffer, bodyStart: number, end: number, rewrite: (text: string) => string): Buffer | undefined {
  const fields = readErrorFields(buf, bodyStart, end);
  let changed = false;
  for (const [type, value] of fields) {
    if (STRUCTURAL_FIELDS.has(type)) continue;
    const next = rewrite(value);
    if (next !== value) {
      fields.set(type, next);
      changed = true;
    }
  }
  if (!changed) return undefined;
  const w = new MessageWriter(end - bodyStart + 64).begin(buf[bodyStart - 5]!);
  for (const [type, value] of fields) w.int8(type.charCodeAt(0)).cstring(value);
  return w.int8(0).end().take();
}

/**
 * Fields whose free text is replaced when a server message is withheld: message, detail, hint,
 * context (where) and the internal query of a function. The rest is kept (names, codes, positions).
 */
const WITHHELD_FIELDS = new Set(['D', 'H', 'W', 'q']);

/**
 * Rebuilds a server error or notice with its message replaced by `text(sqlState)` and the other
 * free-text fields dropped (PostgreSQL docs, "Error and Notice Message Fields").
 */
export function withholdErrorNotice(buf: Buffer, bodyStart: number, end: number, text: (sqlState: string) => string): Buffer {
  const fields = readErrorFields(buf, bodyStart, end);
  const w = new MessageWriter(end - bodyStart + 256).begin(buf[bodyStart - 5]!);
  for (const [type, value] of fields) {
    if (WITHHELD_FIELDS.has(type)) continue;
    w.int8(type.charCodeAt(0)).cstring(type === 'M' ? text(fields.get('C') ?? 'unknown') : value);
  }
  return w.int8(0).end().take();
}
