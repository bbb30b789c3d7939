import { describe, expect, it } from 'vitest';
import { createMysqlAnalyzer } from '../../../src/sql/mysql-analyzer.js';

const analyzer = await createMysqlAnalyzer();
const limitOf = (sql: string) => {
  const r = analyzer.analyze(sql, { searchPath: [], database: 'clinic' });
  if (!r.ok) throw new Error(r.error);
  return r.statements[0]!.limit;
};

describe('MySQL row bounds', () => {
  it('reads LIMIT n and LIMIT o, n', () => {
    expect(limitOf('select id from patients limit 7')).toBe(7);
    expect(limitOf('select id from patients limit 3, 9')).toBe(9);
  });

  it('bounds a plain aggregate query to one row', () => {
    expect(limitOf('select count(*) from patients')).toBe(1);
    expect(limitOf('select count(*) n, max(dob) from (select id, dob from patients) t')).toBe(1);
  });

  it('does not bound grouped, windowed, unioned or mixed queries', () => {
    for (const sql of ['select count(*) from patients group by dob', 'select count(*) over () from patients', 'select count(*) from patients union select 1', 'select max(id), id from patients']) {
      expect(limitOf(sql), sql).toBeUndefined();
    }
  });
});
