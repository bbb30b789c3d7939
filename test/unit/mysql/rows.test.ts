import { describe, expect, it } from 'vitest';
import { ColumnType } from '../../../protocols/mysql/constants.js';
import { PacketWriter } from '../../../protocols/mysql/packet-writer.js';
import { binaryNullBitmapSize, readBinaryRow, readTextRow, rewriteBinaryRow, rewriteTextRow } from '../../../protocols/mysql/rows.js';
import { MysqlProtocolError } from '../../../protocols/mysql/packet-reader.js';

function payload(write: (w: PacketWriter) => void): Buffer {
  const w = new PacketWriter();
  w.begin(0);
  write(w);
  w.end();
  return w.take().subarray(4);
}

const MASK = Buffer.from('***');

describe('text rows', () => {
  const row = payload((w) => w.lenencString('1').int1(0xfb).lenencString('900-11-0001').lenencString(''));

  it('reads cells and NULLs', () => {
    expect(readTextRow(row, 0, row.length, 4).map((c) => c?.toString() ?? null)).toEqual(['1', null, '900-11-0001', '']);
  });

  it('rewrites the listed cells, rebuilding lengths', () => {
    const out = rewriteTextRow(row, 0, row.length, 4, [1, 2], (c, v) => (c === 2 ? MASK : v))!;
    expect(readTextRow(out, 0, out.length, 4).map((c) => c?.toString() ?? null)).toEqual(['1', null, '***', '']);
    const long = Buffer.alloc(300, 0x78);
    const grown = rewriteTextRow(row, 0, row.length, 4, [0], () => long)!;
    expect(grown[0]).toBe(0xfc); // 300 needs a 3-byte length
    expect(readTextRow(grown, 0, grown.length, 4)[0]!.equals(long)).toBe(true);
  });

  it('returns undefined when nothing changes', () => {
    expect(rewriteTextRow(row, 0, row.length, 4, [0, 2], (_c, v) => v)).toBeUndefined();
  });

  it('refuses malformed rows', () => {
    expect(() => readTextRow(row, 0, row.length - 1, 4)).toThrow(MysqlProtocolError);
    expect(() => readTextRow(row, 0, row.length, 3)).toThrow(/longer than its columns/);
  });
});

describe('binary rows', () => {
  const types = [ColumnType.LONG, ColumnType.VAR_STRING, ColumnType.DATE, ColumnType.LONGLONG, ColumnType.TINY, ColumnType.DOUBLE, ColumnType.BLOB];

  function binaryRow(nulls: number[]): Buffer {
    return payload((w) => {
      w.int1(0);
      const bitmap = Buffer.alloc(binaryNullBitmapSize(types.length));
      for (const c of nulls) bitmap[(c + 2) >> 3]! |= 1 << ((c + 2) & 7);
      w.bytes(bitmap);
      if (!nulls.includes(0)) w.int4(42);
      if (!nulls.includes(1)) w.lenencString('Ada Quintero');
      if (!nulls.includes(2)) w.int1(4).int2(1961).int1(3).int1(14);
      if (!nulls.includes(3)) w.int8(1250);
      if (!nulls.includes(4)) w.int1(1);
      if (!nulls.includes(5)) w.bytes(Buffer.alloc(8));
      if (!nulls.includes(6)) w.lenencBytes(Buffer.from([1, 2, 3]));
    });
  }

  it('sizes the NULL bitmap with its offset of 2', () => {
    expect(binaryNullBitmapSize(1)).toBe(1);
    expect(binaryNullBitmapSize(6)).toBe(1);
    expect(binaryNullBitmapSize(7)).toBe(2);
    expect(binaryNullBitmapSize(14)).toBe(2);
    expect(binaryNullBitmapSize(15)).toBe(3);
  });

  it('reads values by type, honouring the NULL bitmap', () => {
    const row = binaryRow([1, 5]);
    const cells = readBinaryRow(row, 0, row.length, types);
    expect(cells[0]!.readUInt32LE(0)).toBe(42);
    expect(cells[1]).toBeNull();
    expect(cells[2]!.toString('hex')).toBe('a907030e');
    expect(Number(cells[3]!.readBigUInt64LE(0))).toBe(1250);
    expect(cells[4]![0]).toBe(1);
    expect(cells[5]).toBeNull();
    expect(cells[6]!.toString('hex')).toBe('010203');
  });

  it('rewrites a string cell and keeps the rest byte for byte', () => {
    const row = binaryRow([]);
    const out = rewriteBinaryRow(row, 0, row.length, types, [1], () => MASK)!;
    const cells = readBinaryRow(out, 0, out.length, types);
    expect(cells[1]!.toString()).toBe('***');
    expect(cells.filter((_c, i) => i !== 1)).toEqual(readBinaryRow(row, 0, row.length, types).filter((_c, i) => i !== 1));
  });

  it('turns a cell NULL when the new value does not fit its fixed size (fail closed)', () => {
    const row = binaryRow([]);
    const out = rewriteBinaryRow(row, 0, row.length, types, [0, 3], () => MASK)!;
    const cells = readBinaryRow(out, 0, out.length, types);
    expect(cells[0]).toBeNull();
    expect(cells[3]).toBeNull();
    expect(cells[1]!.toString()).toBe('Ada Quintero');
  });

  it('sets NULL through the bitmap', () => {
    const row = binaryRow([]);
    const out = rewriteBinaryRow(row, 0, row.length, types, [6], () => null)!;
    expect(readBinaryRow(out, 0, out.length, types)[6]).toBeNull();
  });

  it('refuses rows that do not match their columns', () => {
    const row = binaryRow([]);
    expect(() => readBinaryRow(row, 0, row.length - 1, types)).toThrow(MysqlProtocolError);
    expect(() => readBinaryRow(row, 0, row.length, types.slice(0, 6))).toThrow(MysqlProtocolError);
    const bad = Buffer.from(row);
    bad[0] = 1;
    expect(() => readBinaryRow(bad, 0, bad.length, types)).toThrow(/0x00 header/);
  });
});
