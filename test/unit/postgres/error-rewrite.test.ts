import { describe, expect, it } from 'vitest';
import { BackendCode } from '../../../protocols/postgres/codes.js';
import { readErrorFields } from '../../../protocols/postgres/backend-messages.js';
import { rewriteErrorNotice } from '../../../protocols/postgres/errors.js';
import { MessageWriter } from '../../../protocols/postgres/writer.js';

function serverError(code: number, fields: [string, string][]): Buffer {
  const w = new MessageWriter(64).begin(code);
  for (const [t, v] of fields) w.int8(t.charCodeAt(0)).cstring(v);
  return w.int8(0).end().take();
}

describe('rewriteErrorNotice', () => {
  const fields: [string, string][] = [
    ['S', 'ERROR'],
    ['V', 'ERROR'],
    ['C', '22P02'],
    ['M', 'invalid input syntax for type integer: "900-11-0001"'],
    ['D', 'Key (ssn)=(900-11-0001) already exists.'],
    ['F', 'numutils.c'],
    ['L', '232'],
  ];
  const mask = (s: string) => s.replace(/\d{3}-\d{2}-\d{4}/g, '***');

  it('rewrites the free-text fields and keeps the structural ones', () => {
    const frame = serverError(BackendCode.ErrorResponse, fields);
    const out = rewriteErrorNotice(frame, 5, frame.length, mask)!;
    expect(out[0]).toBe(BackendCode.ErrorResponse);
    expect(out.readInt32BE(1)).toBe(out.length - 1);
    const got = readErrorFields(out, 5, out.length);
    expect(got.get('M')).toBe('invalid input syntax for type integer: "***"');
    expect(got.get('D')).toBe('Key (ssn)=(***) already exists.');
    expect(got.get('C')).toBe('22P02');
    expect(got.get('L')).toBe('232');
  });

  it('keeps notices notices, and returns undefined when nothing changes', () => {
    const notice = serverError(BackendCode.NoticeResponse, [['S', 'NOTICE'], ['M', 'relation exists, skipping']]);
    expect(rewriteErrorNotice(notice, 5, notice.length, mask)).toBeUndefined();
    const withSsn = serverError(BackendCode.NoticeResponse, [['S', 'NOTICE'], ['M', '900-11-0002']]);
    expect(rewriteErrorNotice(withSsn, 5, withSsn.length, mask)![0]).toBe(BackendCode.NoticeResponse);
  });
});
