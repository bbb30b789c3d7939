import { describe, expect, it } from 'vitest';
import { PacketWriter } from '../../../protocols/mysql/packet-writer.js';
import { PayloadReader } from '../../../protocols/mysql/payload-reader.js';
import { MysqlProtocolError } from '../../../protocols/mysql/packet-reader.js';
import { endStatus, isEndOfRows, readErr, readOk, writeEof, writeErr, writeOk } from '../../../protocols/mysql/generic-packets.js';

function payloadOf(write: (w: PacketWriter) => void): Buffer {
  const w = new PacketWriter();
  w.begin(0);
  write(w);
  w.end();
  return w.take().subarray(4);
}

describe('length-encoded integers', () => {
  const cases: [number, string][] = [
    [0, '00'],
    [250, 'fa'],
    [251, 'fcfb00'],
    [0xffff, 'fcffff'],
    [0x10000, 'fd000001'],
    [0xffffff, 'fdffffff'],
    [0x1000000, 'fe0000000100000000'],
    [Number.MAX_SAFE_INTEGER, 'feffffffffffff1f00'],
  ];
  it.each(cases)('writes and reads %d', (value, hex) => {
    const p = payloadOf((w) => w.lenenc(value));
    expect(p.toString('hex')).toBe(hex);
    const r = new PayloadReader(p, 0, p.length);
    expect(r.lenenc()).toBe(value);
    expect(r.remaining).toBe(0);
  });

  it('reads 0xfb as NULL and refuses 0xff', () => {
    expect(new PayloadReader(Buffer.from([0xfb]), 0, 1).lenenc()).toBeNull();
    expect(() => new PayloadReader(Buffer.from([0xff]), 0, 1).lenenc()).toThrow(MysqlProtocolError);
  });

  it('refuses truncated integers and strings', () => {
    expect(() => new PayloadReader(Buffer.from([0xfc, 0x01]), 0, 2).lenenc()).toThrow(MysqlProtocolError);
    expect(() => new PayloadReader(Buffer.from([0x05, 0x61]), 0, 2).lenencString()).toThrow(MysqlProtocolError);
    expect(() => new PayloadReader(Buffer.from('abc'), 0, 3).cstring()).toThrow(/unterminated/);
    // A length above 2^53 is refused rather than rounded.
    expect(() => new PayloadReader(Buffer.from('feffffffffffffffff', 'hex'), 0, 9).lenenc()).toThrow(MysqlProtocolError);
  });

  it('respects the payload end, not the buffer end', () => {
    const b = Buffer.from([0x03, 0x61, 0x62, 0x63]);
    expect(() => new PayloadReader(b, 0, 3).lenencString()).toThrow(MysqlProtocolError);
    expect(new PayloadReader(b, 0, 4).lenencString()).toBe('abc');
  });

  it('round-trips length-encoded strings', () => {
    const s = 'é'.repeat(200);
    const p = payloadOf((w) => w.lenencString(s).lenencString(''));
    const r = new PayloadReader(p, 0, p.length);
    expect(r.lenencString()).toBe(s);
    expect(r.lenencString()).toBe('');
  });
});

describe('OK, ERR and EOF packets', () => {
  it('writes an ERR with its SQLSTATE and reads it back', () => {
    const w = new PacketWriter();
    expect(writeErr(w, 1, { errno: 1142, sqlState: '42501', message: 'denied' })).toBe(2);
    const wire = w.take();
    expect(wire.toString('hex', 0, 13)).toBe('0f0000' + '01' + 'ff' + '7604' + '23' + Buffer.from('42501').toString('hex'));
    expect(readErr(wire, 4, wire.length)).toEqual({ errno: 1142, sqlState: '42501', message: 'denied' });
  });

  it('reads an ERR without SQLSTATE marker (sent before the handshake)', () => {
    const p = Buffer.concat([Buffer.from([0xff, 0x10, 0x04]), Buffer.from('Too many connections')]);
    expect(readErr(p, 0, p.length)).toEqual({ errno: 1040, sqlState: 'HY000', message: 'Too many connections' });
  });

  it('writes and reads OK packets, and the 0xfe OK ending rows under DEPRECATE_EOF', () => {
    const w = new PacketWriter();
    writeOk(w, 2, { affectedRows: 300, lastInsertId: 7, status: 0x0a, warnings: 1 });
    const ok = w.take();
    expect(readOk(ok, 4, ok.length)).toMatchObject({ affectedRows: 300, lastInsertId: 7, status: 0x0a, warnings: 1 });
    writeOk(w, 3, { status: 0x22 }, 0xfe);
    const end = w.take();
    expect(isEndOfRows(end, 4, end.length)).toBe(true);
    expect(endStatus(end, 4, end.length, true)).toBe(0x22);
  });

  it('reads EOF status flags', () => {
    const w = new PacketWriter();
    writeEof(w, 5, 0x0008, 0);
    const eof = w.take();
    expect(eof.toString('hex')).toBe('05000005fe00000800');
    expect(isEndOfRows(eof, 4, eof.length)).toBe(true);
    expect(endStatus(eof, 4, eof.length, false)).toBe(0x0008);
  });

  it('does not take a 16 MiB row starting with 0xfe for the end of rows', () => {
    const row = Buffer.alloc(0xffffff + 9);
    row[0] = 0xfe;
    expect(isEndOfRows(row, 0, row.length)).toBe(false);
  });
});
