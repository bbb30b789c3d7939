// The MySQL analyzer's shape cache: hits give what a fresh parse gives, literal-dependent facts
// come from the current string, names keep their case, the database is resolved per call.
import { describe, expect, it } from 'vitest';
import { MysqlStatementAnalyzer } from '../../../src/sql/mysql-analyzer.js';
import { statementsOf } from './helpers.js';

const context = { searchPath: [], database: 'clinic' } as const;

const corpus = [
  'SELECT abalance FROM accounts WHERE aid = 123',
  "SELECT p.name, upper(p.ssn) AS s FROM patients p JOIN visits v ON v.pid = p.id WHERE v.at > '2024-01-01' ORDER BY p.id LIMIT 5, 50",
  "INSERT INTO visits (pid, code) VALUES (1, 'A1'), (2, 'B2')",
  'UPDATE accounts SET abalance = abalance + 5 WHERE aid = 7',
  'DELETE FROM sessions WHERE expires < 1700000000 LIMIT 100',
  "SELECT * FROM patients WHERE name LIKE 'J%' FOR UPDATE",
  'SELECT count(*) FROM visits WHERE pid IN (1, 2, 3)',
  "SELECT json_object('id', id, 'ssn', ssn) FROM patients WHERE id = 4",
  'BEGIN',
  'COMMIT',
];

/** The statement with each number and quoted string changed to another value of its kind. */
function otherLiterals(sql: string, salt: number): string {
  return sql.replace(/'(?:[^'\\]|\\.|'')*'|\b\d+\b/g, (literal) => (literal.startsWith("'") ? `'v${salt}''x'` : String(Number(literal) + salt)));
}

describe('MySQL shape cache', () => {
  it('gives on a hit what a fresh parse gives', () => {
    const cached = new MysqlStatementAnalyzer();
    const fresh = new MysqlStatementAnalyzer({ cacheEntries: 0 });
    for (const sql of corpus) cached.analyze(sql, context);
    const missesBefore = cached.stats().misses;
    for (const sql of corpus) {
      const other = otherLiterals(sql, 3);
      expect(cached.analyze(other, context), other).toEqual(fresh.analyze(other, context));
    }
    expect(cached.stats().misses).toBe(missesBefore);
    expect(cached.stats().hits).toBe(corpus.length);
  });

  it('reads LIMIT from the current string on a hit', () => {
    const analyzer = new MysqlStatementAnalyzer();
    expect(statementsOf(analyzer.analyze('SELECT * FROM patients LIMIT 10', context))[0]!.limit).toBe(10);
    expect(statementsOf(analyzer.analyze('SELECT * FROM patients LIMIT 100000', context))[0]!.limit).toBe(100000);
    expect(statementsOf(analyzer.analyze('SELECT * FROM patients LIMIT 20, 10', context))[0]!.limit).toBe(10);
    expect(statementsOf(analyzer.analyze('SELECT * FROM patients LIMIT 20, 99999', context))[0]!.limit).toBe(99999);
    expect(analyzer.stats().hits).toBe(2);
  });

  it('does not share an entry between names differing in case', () => {
    const analyzer = new MysqlStatementAnalyzer();
    analyzer.analyze('SELECT * FROM patients', context);
    const [statement] = statementsOf(analyzer.analyze('SELECT * FROM PATIENTS', context));
    expect(statement!.tablesRead).toEqual([{ schema: 'clinic', name: 'PATIENTS' }]);
    expect(analyzer.stats().hits).toBe(0);
  });

  it('resolves unqualified tables with each call’s database', () => {
    const analyzer = new MysqlStatementAnalyzer();
    analyzer.analyze('SELECT ssn FROM patients WHERE id = 1', context);
    const [statement] = statementsOf(analyzer.analyze('SELECT ssn FROM patients WHERE id = 2', { searchPath: [], database: 'other' }));
    expect(statement!.tablesRead).toEqual([{ schema: 'other', name: 'patients' }]);
    expect(statement!.columns![0]!.sources).toEqual([{ table: { schema: 'other', name: 'patients' }, column: 'ssn' }]);
    const [bare] = statementsOf(analyzer.analyze('SELECT ssn FROM patients WHERE id = 3', { searchPath: [] }));
    expect(bare!.tablesRead).toEqual([{ name: 'patients' }]);
  });

  it('caches neither guarded settings nor PREPARE of a string', () => {
    const analyzer = new MysqlStatementAnalyzer();
    analyzer.analyze("SET sql_mode = 'TRADITIONAL'", context);
    analyzer.analyze("PREPARE s FROM 'SELECT 1'", context);
    expect(analyzer.stats().entries).toBe(0);
    expect(analyzer.analyze("PREPARE s FROM 'DROP TABLE patients'", context)).toMatchObject({ ok: true });
    expect(statementsOf(analyzer.analyze("PREPARE s FROM 'DROP TABLE patients'", context))[0]!.tablesWritten).toEqual([{ schema: 'clinic', name: 'patients' }]);
  });

  it('caches a string alias per value only (the name is structure)', () => {
    const analyzer = new MysqlStatementAnalyzer();
    analyzer.analyze("SELECT ssn AS 'a' FROM patients", context);
    const [statement] = statementsOf(analyzer.analyze("SELECT ssn AS 'b' FROM patients", context));
    expect(statement!.columns![0]!.name).toBe('b');
    const [implicit] = statementsOf(analyzer.analyze("SELECT comment 'c' FROM patients", context));
    expect(implicit!.columns![0]!.name).toBe('c');
    expect(statementsOf(analyzer.analyze("SELECT comment 'd' FROM patients", context))[0]!.columns![0]!.name).toBe('d');
    expect(analyzer.stats().entries).toBe(0);
  });

  it('is bounded', () => {
    const analyzer = new MysqlStatementAnalyzer({ cacheEntries: 3 });
    for (let i = 0; i < 10; i++) analyzer.analyze(`SELECT c${i} FROM t`, context);
    expect(analyzer.stats()).toMatchObject({ entries: 3, evictions: 7 });
  });
});
