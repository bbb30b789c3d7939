// The type rule: a strategy writes only into types whose text form it keeps valid; binary cells
// are masked only when their bytes are their text.
import { describe, expect, it } from 'vitest';
import { MaskingEngine } from '../../../src/masking/engine.js';
import { maskingRowTransform } from '../../../src/masking/row-transform.js';
import { keepsTypeValid, mysqlValueType, pgBinaryCellHandling, pgValueType } from '../../../src/masking/value-types.js';
import type { MaskingConfig } from '../../../src/policy/config/types.js';
import type { ResultColumn, RowTransform } from '../../../src/session/types.js';

describe('value types', () => {
  it('maps PostgreSQL OIDs and MySQL column types to families', () => {
    expect([25, 1043, 1042, 19, 114, 3802, 1082, 1184, 23, 1700, 17, 2950].map(pgValueType)).toEqual([
      'text', 'text', 'text', 'text', 'json', 'json', 'date', 'timestamp', 'integer', 'decimal', 'other', 'other',
    ]);
    expect(mysqlValueType(253, 45)).toBe('text');
    expect(mysqlValueType(252, 45)).toBe('text'); // TEXT
    expect(mysqlValueType(252, 63)).toBe('other'); // BLOB
    expect(mysqlValueType(10, 63)).toBe('date');
    expect(mysqlValueType(3, 63)).toBe('integer');
  });

  it('says which strategy keeps which type valid', () => {
    expect(keepsTypeValid('partial', 'text')).toBe(true);
    expect(keepsTypeValid('partial', 'date')).toBe(false);
    expect(keepsTypeValid('generalize', 'date')).toBe(true);
    expect(keepsTypeValid('format', 'integer')).toBe(false);
    expect(keepsTypeValid('format', 'date')).toBe(false);
    expect(keepsTypeValid('redact', 'integer')).toBe(false);
    expect(keepsTypeValid('detect', 'json')).toBe(true);
    expect(keepsTypeValid('hash', 'json')).toBe(false);
    for (const type of ['text', 'json', 'date', 'timestamp', 'integer', 'decimal', 'other'] as const) expect(keepsTypeValid('null', type)).toBe(true);
  });

  it('masks binary cells of text-like PostgreSQL types, NULLs the rest', () => {
    expect([25, 1043, 1042, 19, 114, 3802].map(pgBinaryCellHandling)).toEqual(['text', 'text', 'text', 'text', 'text', 'text']);
    expect([23, 1082, 17, 2950, 1700].map(pgBinaryCellHandling)).toEqual(['null', 'null', 'null', 'null', 'null']);
  });
});

describe('maskingRowTransform', () => {
  const config: MaskingConfig = {
    onUnknownLineage: 'refuse',
    detectors: { builtin: ['ssn'], patterns: [], dictionaries: [] },
    rules: [
      { name: 'ssn', columns: ['c.p.ssn'], except: [], strategy: { kind: 'partial', keepFirst: 0, keepLast: 4, maskChar: '*' } },
      { name: 'notes', columns: ['c.p.notes'], except: [], strategy: { kind: 'detect' } },
      { name: 'dob', columns: ['c.p.dob'], except: [], strategy: { kind: 'generalize', to: 'year', width: 10 } },
    ],
  };
  const column = (name: string, typeId: number, format: 'text' | 'binary'): ResultColumn => ({ name, origin: undefined, typeId, format });

  it('rewrites text and text-like binary cells, NULLs other binary cells, keeps NULL and unmasked columns', () => {
    const engine = new MaskingEngine(config);
    const columns = [column('id', 23, 'binary'), column('ssn', 1042, 'binary'), column('notes', 3802, 'binary'), column('dob', 1082, 'binary'), column('ssn2', 25, 'text')];
    const plan = engine.planResult('agent', [
      { name: 'id', origin: { schema: 'c', table: 'p', column: 'id' }, type: 'integer' },
      { name: 'ssn', origin: { schema: 'c', table: 'p', column: 'ssn' }, type: 'text' },
      { name: 'notes', origin: { schema: 'c', table: 'p', column: 'notes' }, type: 'json' },
      { name: 'dob', origin: { schema: 'c', table: 'p', column: 'dob' }, type: 'date' },
      { name: 'ssn2', origin: { schema: 'c', table: 'p', column: 'ssn' }, type: 'text' },
    ]);
    if (!plan.ok) throw new Error(plan.message);
    const transform = maskingRowTransform(engine.rowMasker(plan), columns, 'postgres');
    const cell = (t: RowTransform, column: number, value: Buffer) => t.apply(column, value, 0, value.length);
    expect(transform.columns).toEqual([1, 2, 3, 4]);
    expect(cell(transform, 1, Buffer.from('900-11-0001'))?.toString()).toBe('***-**-0001');
    const jsonb = Buffer.concat([Buffer.from([1]), Buffer.from('{"n":"ssn 900-11-0001"}')]);
    const masked = cell(transform, 2, jsonb) as Buffer;
    expect(masked[0]).toBe(1);
    expect(JSON.parse(masked.subarray(1).toString())).toEqual({ n: 'ssn [SSN]' });
    expect(cell(transform, 3, Buffer.from([0, 0, 0, 1]))).toBeNull(); // binary date: cannot be masked in place
    expect(cell(transform, 4, Buffer.from('900-11-0002'))?.toString()).toBe('***-**-0002');
    // an identifier written as a bare JSON number: the masked document would not parse, so NULL
    expect(cell(transform, 2, Buffer.concat([Buffer.from([1]), Buffer.from('{"ssn": 900110001}')]))).toBeNull();
    expect(cell(transform, 2, Buffer.concat([Buffer.from([1]), Buffer.from('{"n": 7}')]))?.subarray(1).toString()).toBe('{"n": 7}');
  });

  it('reuses a masked value for a repeated cell and still counts every cell; detect columns are scanned each time', () => {
    const engine = new MaskingEngine(config);
    const columns = [column('ssn', 25, 'text'), column('notes', 25, 'text')];
    const plan = engine.planResult('agent', [
      { name: 'ssn', origin: { schema: 'c', table: 'p', column: 'ssn' }, type: 'text' },
      { name: 'notes', origin: { schema: 'c', table: 'p', column: 'notes' }, type: 'text' },
    ]);
    if (!plan.ok) throw new Error(plan.message);
    const masker = engine.rowMasker(plan);
    const transform = maskingRowTransform(masker, columns, 'postgres');
    // The same value at different places of different buffers: the same masked bytes.
    const a = Buffer.from('xx900-11-0001yy');
    const b = Buffer.from('900-11-0001');
    const first = transform.apply(0, a, 2, 13);
    expect(first?.toString()).toBe('***-**-0001');
    expect(transform.apply(0, b, 0, b.length)).toBe(first);
    expect(transform.apply(0, Buffer.from('900-11-0002'), 0, 11)?.toString()).toBe('***-**-0002');
    const note = Buffer.from('call 900-11-0003');
    for (let i = 0; i < 3; i++) expect(transform.apply(1, note, 0, note.length)?.toString()).toBe('call [SSN]');
    expect(masker.counts()).toEqual([
      expect.objectContaining({ name: 'ssn', strategy: 'partial', cells: 3 }),
      expect.objectContaining({ name: 'notes', strategy: 'detect', cells: 3, detections: { ssn: 3 } }),
    ]);
  });

  it('gives every value its own masked result when there are more distinct values than the memo holds', () => {
    const engine = new MaskingEngine(config);
    const plan = engine.planResult('agent', [{ name: 'ssn', origin: { schema: 'c', table: 'p', column: 'ssn' }, type: 'text' }]);
    if (!plan.ok) throw new Error(plan.message);
    const masker = engine.rowMasker(plan);
    const transform = maskingRowTransform(masker, [column('ssn', 25, 'text')], 'postgres');
    // Every other cell repeats one value, so the memo stays on while 10 000 others collide in it.
    const values = Array.from({ length: 10_000 }, (_, i) => [`900-11-${String(i).padStart(4, '0')}`, '900-22-9999']).flat();
    for (const round of [1, 2]) {
      for (const v of values) {
        const b = Buffer.from(`xx${v}`);
        expect(transform.apply(0, b, 2, b.length)?.toString(), `round ${round}`).toBe(`***-**-${v.slice(-4)}`);
      }
    }
    expect(masker.counts()[0]).toMatchObject({ cells: 40_000 });
  });

  it('masks a column of distinct values correctly after the memo gives up on it', () => {
    const engine = new MaskingEngine(config);
    const plan = engine.planResult('agent', [{ name: 'ssn', origin: { schema: 'c', table: 'p', column: 'ssn' }, type: 'text' }]);
    if (!plan.ok) throw new Error(plan.message);
    const masker = engine.rowMasker(plan);
    const transform = maskingRowTransform(masker, [column('ssn', 25, 'text')], 'postgres');
    for (let i = 0; i < 10_000; i++) {
      const b = Buffer.from(`900-11-${String(i).padStart(4, '0')}`);
      expect(transform.apply(0, b, 0, b.length)?.toString()).toBe(`***-**-${String(i).padStart(4, '0')}`);
    }
    expect(masker.counts()[0]).toMatchObject({ cells: 10_000 });
  });
});
