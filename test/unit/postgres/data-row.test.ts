import { describe, expect, it } from 'vitest';
import { rewriteDataRow } from '../../../protocols/postgres/data-row.js';

function dataRow(cells: (string | null)[]): Buffer {
  const parts = cells.map((c) => {
    if (c === null) return Buffer.from([0xff, 0xff, 0xff, 0xff]);
    const v = Buffer.from(c);
    const len = Buffer.alloc(4);
    len.writeInt32BE(v.length);
    return Buffer.concat([len, v]);
  });
  const body = Buffer.concat([Buffer.from([0, cells.length]), ...parts]);
  const head = Buffer.alloc(5);
  head[0] = 0x44;
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

describe('rewriteDataRow', () => {
  it('replaces only the named columns and keeps NULLs and the others byte for byte', () => {
    const row = dataRow(['1', 'Ada Quintero', null, '900-11-0001']);
    const out = rewriteDataRow(row, 5, row.length, [1, 3], () => Buffer.from('***'));
    expect(out.equals(dataRow(['1', '***', null, '***']))).toBe(true);
  });

  it('can turn a value into NULL and grow a value', () => {
    const row = dataRow(['a', 'b']);
    const out = rewriteDataRow(row, 5, row.length, [0, 1], (c) => (c === 0 ? null : Buffer.from('longer value')));
    expect(out.equals(dataRow([null, 'longer value']))).toBe(true);
  });

  it('copies the runs between changed columns, with NULLs and empty cells among them; NULL stays NULL without a call', () => {
    const row = dataRow(['1', '', null, 'x', 'Ada', null, 'tail']);
    const seen: number[] = [];
    const out = rewriteDataRow(row, 5, row.length, [1, 4, 5], (c, b, s, e) => (seen.push(c), Buffer.from(`<${b.toString('utf8', s, e)}>`)));
    expect(out.equals(dataRow(['1', '<>', null, 'x', '<Ada>', null, 'tail']))).toBe(true);
    expect(seen).toEqual([1, 4]);
  });

  it('copies long runs and long values, and a value buffer the transform reuses for every cell', () => {
    const long = 'x'.repeat(100);
    const row = dataRow([long, 'Ada Quintero', `${long}y`, 'Bo', long]);
    const shared = Buffer.alloc(40, 0x2a);
    const out = rewriteDataRow(row, 5, row.length, [1, 3], () => shared);
    expect(out.equals(dataRow([long, '*'.repeat(40), `${long}y`, '*'.repeat(40), long]))).toBe(true);
  });

  it('refuses columns out of order', () => {
    const row = dataRow(['a', 'b']);
    expect(() => rewriteDataRow(row, 5, row.length, [1, 0], (_c, b, s, e) => b.subarray(s, e))).toThrow(/ascending/);
  });

  it('refuses a row whose cell runs past the message', () => {
    const row = dataRow(['abc']);
    row.writeInt32BE(100, 7);
    expect(() => rewriteDataRow(row, 5, row.length, [0], (_c, b, s, e) => b.subarray(s, e))).toThrow(/runs past/);
  });
});
