// The one place that builds ErrorResponse and NoticeResponse frames.
import { BackendCode } from './codes.js';
import { ErrorField } from './backend-messages.js';
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
