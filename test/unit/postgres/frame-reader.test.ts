import { describe, expect, it } from 'vitest';
import { FrameReader, ProtocolError } from '../../../protocols/postgres/frame-reader.js';
import { MessageWriter } from '../../../protocols/postgres/writer.js';

function query(sql: string): Buffer {
  return new MessageWriter().begin(0x51).cstring(sql).end().take();
}

function collect(reader: FrameReader, chunks: Buffer[]): { code: number; body: string }[] {
  const out: { code: number; body: string }[] = [];
  for (const c of chunks) {
    reader.push(c);
    while (reader.next()) out.push({ code: reader.code, body: reader.buf.toString('latin1', reader.bodyStart, reader.end) });
  }
  return out;
}

const stream = Buffer.concat([query('select 1'), query(''), query('select ' + 'x'.repeat(300)), new MessageWriter().begin(0x53).end().take()]);
const expected = collect(new FrameReader(1 << 20), [stream]);

describe('FrameReader', () => {
  it('reads coalesced frames from one chunk as views, without copying', () => {
    const r = new FrameReader(1 << 20);
    r.push(stream);
    expect(r.next()).toBe(true);
    expect(r.buf).toBe(stream);
    expect(r.assembled).toBe(false);
    expect(expected.map((f) => String.fromCharCode(f.code))).toEqual(['Q', 'Q', 'Q', 'S']);
    expect(expected[0]!.body).toBe('select 1\0');
  });

  it('gives the same frames for every split of the stream into two chunks', () => {
    for (let i = 1; i < stream.length; i++) {
      const got = collect(new FrameReader(1 << 20), [stream.subarray(0, i), stream.subarray(i)]);
      expect(got, `split at ${i}`).toEqual(expected);
    }
  });

  it('gives the same frames when fed one byte at a time', () => {
    const bytes = [...stream].map((b) => Buffer.from([b]));
    expect(collect(new FrameReader(1 << 20), bytes)).toEqual(expected);
  });

  it('refuses a length that exceeds the limit before holding any of it', () => {
    const r = new FrameReader(1024);
    const hostile = Buffer.from([0x51, 0x40, 0x00, 0x00, 0x00]); // claims 1 GiB
    r.push(hostile);
    expect(() => r.next()).toThrow(ProtocolError);
    expect(r.holding).toBe(0); // nothing held for it
  });

  it('refuses a hostile length split across chunks', () => {
    const r = new FrameReader(1024);
    r.push(Buffer.from([0x51, 0x7f]));
    expect(r.next()).toBe(false);
    r.push(Buffer.from([0xff, 0xff, 0xff]));
    expect(() => r.next()).toThrow(/exceeds the limit/);
  });

  it('refuses a length below four', () => {
    const r = new FrameReader(1024);
    r.push(Buffer.from([0x51, 0, 0, 0, 3]));
    expect(() => r.next()).toThrow(/invalid message length 3/);
  });

  it('reads untyped startup frames', () => {
    const r = new FrameReader(10_000, false);
    const ssl = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
    r.push(ssl.subarray(0, 3));
    expect(r.next()).toBe(false);
    r.push(ssl.subarray(3));
    expect(r.next()).toBe(true);
    expect(r.code).toBe(0);
    expect(r.buf.readInt32BE(r.bodyStart)).toBe(80877103);
  });
});
