import { describe, expect, it } from 'vitest';
import { CatalogSnapshot } from '../../../src/server/pg-catalog-snapshot.js';

// Rows as the catalog queries return them: oid, schema, name, relkind, attnum, attname.
const relations = [
  ['100', 'clinic', 'patients', 'r', '1', 'id'],
  ['100', 'clinic', 'patients', 'r', '2', 'ssn'],
  ['200', 'clinic', 'v_ssn', 'v', '1', 'id'],
  ['200', 'clinic', 'v_ssn', 'v', '2', 'tail'],
  ['300', 'clinic', 'v_of_v', 'v', '1', 'tail'],
  ['400', 'clinic', 'v_whole', 'v', '1', 'p'],
];
// view oid, referenced oid, referenced attnum (0 = whole row)
const deps = [
  ['200', '100', '1'],
  ['200', '100', '2'],
  ['300', '200', '2'],
  ['400', '100', '0'],
  ['400', '999', '0'], // a type or function: not a row source
];

describe('CatalogSnapshot', () => {
  const snap = new CatalogSnapshot(relations, deps);

  it('names a table column origin', () => {
    expect(snap.resolve(100, 2)).toEqual({ kind: 'column', table: { schema: 'clinic', name: 'patients' }, column: 'ssn' });
  });

  it('does not know what it has not read', () => {
    expect(snap.resolve(100, 9)).toBeUndefined();
    expect(snap.resolve(555, 1)).toBeUndefined();
  });

  it('traces a view column to every base column the view reads', () => {
    const r = snap.resolve(200, 1);
    expect(r?.kind).toBe('view');
    expect(r?.kind === 'view' && r.sources.map((s) => s.column).sort()).toEqual(['id', 'ssn']);
  });

  it('follows views of views and whole-row dependencies', () => {
    const r = snap.resolve(300, 1);
    expect(r?.kind === 'view' && r.sources.map((s) => s.column).sort()).toEqual(['id', 'ssn']);
    expect(snap.sourcesOfView('clinic', 'v_whole')).toEqual([{ table: { schema: 'clinic', name: 'patients' }, column: '*' }]);
    expect(snap.sourcesOfView('clinic', 'patients')).toBeUndefined();
  });
});
