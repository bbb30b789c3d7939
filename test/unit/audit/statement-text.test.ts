// SQL text in audit events: literals out, fingerprint equal across literal values, long text cut.
import { describe, expect, it } from 'vitest';
import { auditSqlText, MAX_AUDIT_SQL_CHARS } from '../../../src/audit/statement-text.js';

describe('auditSqlText', () => {
  it('replaces every PostgreSQL literal kind with ?', () => {
    const sql = "select 'Ada Quintero', E'900\\'11', $tag$MRN-1$tag$, 42, 3.5e2, B'101', U&'d\\0061t' from t where x = 'a''b' -- 'comment'";
    const out = auditSqlText(sql, 'postgres', undefined);
    expect(out.sql).toBe('select ?, ?, ?, ?, ?, ?, ? from t where x = ? -- ?');
    expect(out.redacted).toBe(true);
  });

  it('gives statements that differ only in literals one fingerprint', () => {
    const a = auditSqlText("select * from p where ssn = '1'", 'postgres', undefined);
    const b = auditSqlText("SELECT *  FROM p WHERE ssn = '2'", 'postgres', undefined);
    const c = auditSqlText("select * from p where mrn = '1'", 'postgres', undefined);
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.fingerprint).not.toBe(c.fingerprint);
  });

  it('redacts MySQL text with the MySQL lexer (strings with backslashes, numbers, hex, comments)', () => {
    expect(auditSqlText(`select "Ada", 'x\\'y', 0x1F, 12 from t1 where c2 = 7 # Ada`, 'mysql', undefined).sql).toBe('select ?, ?, ?, ? from t1 where c2 = ? # ?');
  });

  it('uses the given redactor; false keeps the text as sent', () => {
    expect(auditSqlText("select 'x'", 'postgres', (s, p) => `${p}:${s.length}`).sql).toBe('postgres:10');
    expect(auditSqlText("select 'x'", 'postgres', false)).toMatchObject({ sql: "select 'x'", redacted: false });
  });

  it('cuts very long text and keeps its length', () => {
    const out = auditSqlText(`select ${'a,'.repeat(40_000)}b from t`, 'postgres', undefined);
    expect(out.sql.length).toBe(MAX_AUDIT_SQL_CHARS + 1);
    expect(out.sqlLength).toBe(80_015);
  });
});
