import { describe, expect, it } from 'vitest';
import { MysqlProtocolError, PacketReader } from '../../../protocols/mysql/packet-reader.js';
import { PacketWriter } from '../../../protocols/mysql/packet-writer.js';

function packet(seq: number, payload: Buffer): Buffer {
  const w = new PacketWriter();
  w.begin(seq).bytes(payload).end();
  return w.take();
}

function collect(reader: PacketReader, chunks: Buffer[]): { seq: number; lastSeq: number; payload: string; wire: string }[] {
  const out: { seq: number; lastSeq: number; payload: string; wire: string }[] = [];
  for (const c of chunks) {
    reader.push(c);
    while (reader.next()) {
      out.push({
        seq: reader.seq,
        lastSeq: reader.lastSeq,
        payload: reader.buf.toString('latin1', reader.start, reader.end),
        wire: reader.wire.toString('hex', reader.wireStart, reader.wireEnd),
      });
    }
  }
  return out;
}

const stream = Buffer.concat([
  packet(0, Buffer.from('\x03select 1', 'latin1')),
  packet(1, Buffer.alloc(0)),
  packet(2, Buffer.from('x'.repeat(300))),
  packet(3, Buffer.from([0xfe, 0, 0, 2, 0])),
]);
const expected = collect(new PacketReader(1 << 20), [stream]);

describe('PacketReader', () => {
  it('reads coalesced packets from one chunk as views, without copying', () => {
    const r = new PacketReader(1 << 20);
    r.push(stream);
    expect(r.next()).toBe(true);
    expect(r.buf).toBe(stream);
    expect(r.seq).toBe(0);
    expect(r.first).toBe(0x03);
    expect(expected.map((p) => p.seq)).toEqual([0, 1, 2, 3]);
    expect(expected[1]!.payload).toBe('');
    expect(expected[2]!.payload).toHaveLength(300);
  });

  it('gives the same packets for every split of the stream into two chunks', () => {
    for (let i = 1; i < stream.length; i++) {
      expect(collect(new PacketReader(1 << 20), [stream.subarray(0, i), stream.subarray(i)]), `split at ${i}`).toEqual(expected);
    }
  });

  it('gives the same packets when fed one byte at a time', () => {
    expect(collect(new PacketReader(1 << 20), [...stream].map((b) => Buffer.from([b])))).toEqual(expected);
  });

  it('refuses a length over the limit before holding anything for it', () => {
    const r = new PacketReader(1000);
    r.push(Buffer.from([0xe9, 0x03, 0x00, 0x00])); // 1001 bytes announced, none sent
    expect(() => r.next()).toThrow(MysqlProtocolError);
    const r2 = new PacketReader(1000);
    r2.push(Buffer.from([0xe8, 0x03])); // half a header: wait
    expect(r2.next()).toBe(false);
    r2.push(Buffer.from([0x00, 0x00]));
    expect(r2.next()).toBe(false);
    expect(r2.holding).toBe(4);
  });

  it('joins a payload of 0xffffff bytes with its continuation (16 MiB boundary)', () => {
    const big = Buffer.alloc(0xffffff + 10, 0x61);
    big[0] = 0x03;
    const w = new PacketWriter();
    const next = w.begin(0).bytes(big).end();
    const wire = w.take();
    expect(next).toBe(2); // two packets: 0xffffff bytes, then 10
    expect(wire.readUIntLE(0, 3)).toBe(0xffffff);
    expect(wire[3]).toBe(0);
    expect(wire.readUIntLE(4 + 0xffffff, 3)).toBe(10);
    expect(wire[4 + 0xffffff + 3]).toBe(1);
    for (const split of [1, 4, 5000, 0xffffff + 3, 0xffffff + 6, wire.length - 1]) {
      const r = new PacketReader(1 << 25);
      const got: Buffer[] = [];
      for (const c of [wire.subarray(0, split), wire.subarray(split)]) {
        r.push(c);
        while (r.next()) {
          got.push(r.buf.subarray(r.start, r.end));
          expect(r.seq).toBe(0);
          expect(r.lastSeq).toBe(1);
          expect(r.wire.subarray(r.wireStart, r.wireEnd).equals(wire)).toBe(true);
        }
      }
      expect(got).toHaveLength(1);
      expect(got[0]!.equals(big)).toBe(true);
    }
  });

  it('needs an empty packet after a payload of exactly 0xffffff bytes', () => {
    const exact = Buffer.alloc(0xffffff, 0x62);
    const w = new PacketWriter();
    expect(w.begin(5).bytes(exact).end()).toBe(7);
    const wire = w.take();
    expect(wire.length).toBe(4 + 0xffffff + 4);
    const r = new PacketReader(1 << 25);
    r.push(wire.subarray(0, 4 + 0xffffff));
    expect(r.next()).toBe(false); // waits for the terminating empty packet
    r.push(wire.subarray(4 + 0xffffff));
    expect(r.next()).toBe(true);
    expect(r.length).toBe(0xffffff);
    expect(r.lastSeq).toBe(6);
  });

  it('counts the joined size against the limit', () => {
    const r = new PacketReader(0xffffff + 5);
    const head = Buffer.from([0xff, 0xff, 0xff, 0x00]);
    r.push(Buffer.concat([head, Buffer.alloc(0xffffff)]));
    expect(r.next()).toBe(false);
    r.push(Buffer.from([0x06, 0x00, 0x00, 0x01]));
    expect(() => r.next()).toThrow(/exceeds the limit/);
  });

  it('keeps unread bytes when the caller stops early', () => {
    const r = new PacketReader(1 << 20);
    r.push(stream.subarray(0, 20));
    expect(r.next()).toBe(true);
    r.push(stream.subarray(20));
    const rest: number[] = [];
    while (r.next()) rest.push(r.seq);
    expect(rest).toEqual([1, 2, 3]);
  });
});
