import { describe, expect, it } from 'vitest';
import { serialize } from 'pg-protocol';
import { decodeBind, decodeBindTarget, decodeParse, decodeStartupPacket, decodeTarget, decodeExecute } from '../../../protocols/postgres/frontend-messages.js';
import { ProtocolError } from '../../../protocols/postgres/frame-reader.js';

const body = (frame: Buffer) => ({ buf: frame, start: 5, end: frame.length });

describe('frontend message decoders', () => {
  it('decode Parse, Bind, Describe and Execute as pg-protocol encodes them', () => {
    const p = body(serialize.parse({ name: 's1', text: 'select $1::int', types: [23] }));
    expect(decodeParse(p.buf, p.start, p.end)).toEqual({ statement: 's1', sql: 'select $1::int', paramTypes: [23] });
    const b = body(serialize.bind({ portal: 'p1', statement: 's1', values: ['42', null], binary: true }));
    const bind = decodeBind(b.buf, b.start, b.end);
    expect(bind.portal).toBe('p1');
    expect(bind.params.map((v) => v?.toString() ?? null)).toEqual(['42', null]);
    expect(bind.resultFormats).toEqual([1]);
    expect(decodeBindTarget(b.buf, b.start, b.end)).toEqual({ portal: 'p1', statement: 's1', resultFormats: [1] });
    const d = body(serialize.describe({ type: 'P', name: 'p1' }));
    expect(decodeTarget(d.buf, d.start, d.end)).toEqual({ target: 'P', name: 'p1' });
    const e = body(serialize.execute({ portal: 'p1', rows: 10 }));
    expect(decodeExecute(e.buf, e.start, e.end)).toEqual({ portal: 'p1', maxRows: 10 });
  });

  it('refuse a Bind whose counts run past the message', () => {
    const b = serialize.bind({ portal: '', statement: '', values: ['x'] });
    const truncated = b.subarray(0, b.length - 4);
    expect(() => decodeBind(truncated, 5, truncated.length)).toThrow(ProtocolError);
    // A negative parameter-format count must not move the reader backwards.
    const hostile = Buffer.from(b);
    hostile.writeInt16BE(-5, 7);
    expect(() => decodeBindTarget(hostile, 5, hostile.length)).toThrow(ProtocolError);
  });

  it('decode startup packets and refuse other protocol versions', () => {
    const startup = serialize.startup({ user: 'agent-1', database: 'test', application_name: 'x' });
    const packet = decodeStartupPacket(startup, 4, startup.length);
    expect(packet).toMatchObject({ kind: 'startup' });
    if (packet.kind === 'startup') expect(Object.fromEntries(packet.params)).toMatchObject({ user: 'agent-1', database: 'test' });
    const v2 = Buffer.from([0, 0, 0, 8, 0, 2, 0, 0]);
    expect(() => decodeStartupPacket(v2, 4, 8)).toThrow(/unsupported frontend protocol 2.0/);
    const cancel = serialize.cancel(1234, 5678);
    expect(decodeStartupPacket(cancel, 4, cancel.length)).toEqual({ kind: 'cancel', processId: 1234, secretKey: 5678 });
  });

  it('refuse an unterminated string', () => {
    const q = Buffer.from([0x51, 0, 0, 0, 7, 0x61, 0x62, 0x63]);
    expect(() => decodeParse(q, 5, q.length)).toThrow(/not terminated/);
  });
});
