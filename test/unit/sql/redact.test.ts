// Literal redaction for the audit trail: no literal survives, comments keep no text, names and
// structure stay as written, and text the lexer cannot finish is cut, never leaked.
import { describe, expect, it } from 'vitest';
import { redactMysqlLiterals, redactPgLiterals, redactSqlLiterals } from '../../../src/sql/redact.js';
import { pick, random } from './helpers.js';

const SECRET = 'JaneDoe1980';

describe('redactMysqlLiterals', () => {
  const cases: [string, string][] = [
    ["SELECT * FROM patients WHERE name = 'Jane' AND id = 42", 'SELECT * FROM patients WHERE name = ? AND id = ?'],
    ['SELECT "dq", X\'4D\', 0x4D, b\'1\', 0b1, 1.5e3, .5', 'SELECT ?, ?, ?, ?, ?, ?, ?'],
    ["SELECT _utf8mb4'x', N'y', 'a' 'b'", 'SELECT ?, ?, ?'],
    ["SELECT 'it''s', 'it\\'s', 'a\\\\'", 'SELECT ?, ?, ?'],
    ['SELECT `Jane Doe` FROM `t` WHERE a = ?', 'SELECT `Jane Doe` FROM `t` WHERE a = ?'],
    ['SELECT 1 -- patient Jane\nFROM t # dob 1980\n/* ssn 123 */', 'SELECT ? -- ?\nFROM t # ?\n/* ? */'],
    ['SELECT 1--1', 'SELECT ?--?'],
    ['SELECT @name := 5', 'SELECT @name := ?'],
  ];
  it.each(cases)('%s', (sql, expected) => {
    expect(redactMysqlLiterals(sql)).toBe(expected);
  });

  it('cuts what the lexer cannot finish', () => {
    expect(redactMysqlLiterals("SELECT a FROM t WHERE b = 'Jane")).toBe('SELECT a FROM t WHERE b = ?');
    expect(redactMysqlLiterals("SELECT 1 /*!50000 , 'Jane' */")).toBe('SELECT ? ?');
    expect(redactMysqlLiterals('SELECT 1 /* Jane')).toBe('SELECT ? ?');
  });

  it('lets no literal survive (random statements)', () => {
    const next = random(5);
    for (let round = 0; round < 500; round++) {
      const literal = pick(next, [`'${SECRET}'`, `"${SECRET}"`, `'x\\'${SECRET}'`, `'${SECRET}''s'`, `_latin1'${SECRET}'`, `'a' '${SECRET}'`, `X'${SECRET.length}1980'`, '19801231']);
      const comment = pick(next, ['', ` -- ${SECRET}\n`, ` # ${SECRET}\n`, ` /* ${SECRET} */ `]);
      const sql = `SELECT a${comment} FROM t WHERE b = ${literal} AND c IN (1, ${literal})`;
      const redacted = redactMysqlLiterals(sql);
      expect(redacted, sql).not.toMatch(/JaneDoe|1980/);
      expect(redacted, sql).toMatch(/^SELECT a.* FROM t WHERE b = \? AND c IN \(\?, \?\)$/s);
    }
  });
});

describe('redactPgLiterals', () => {
  const cases: [string, string][] = [
    ["SELECT * FROM patients WHERE name = 'Jane' AND id = 42", 'SELECT * FROM patients WHERE name = ? AND id = ?'],
    ["SELECT E'a\\'b', $$x$$, $t$y$t$, B'01', X'1F', U&'d\\0061t', 1.5", 'SELECT ?, ?, ?, ?, ?, ?, ?'],
    ['SELECT "Jane Doe" FROM t WHERE a = $1', 'SELECT "Jane Doe" FROM t WHERE a = $1'],
    ['SELECT 1 -- patient Jane\nFROM t /* a /* nested */ b */', 'SELECT ? -- ?\nFROM t /* ? */'],
    ['SELECT "a--b", "c/*d" FROM t', 'SELECT "a--b", "c/*d" FROM t'],
    ['SELECT a$b$ FROM t', 'SELECT a$b$ FROM t'],
  ];
  it.each(cases)('%s', (sql, expected) => {
    expect(redactPgLiterals(sql)).toBe(expected);
  });

  it('cuts what the lexer cannot finish', () => {
    expect(redactPgLiterals("SELECT a FROM t WHERE b = 'Jane")).toBe('SELECT a FROM t WHERE b = ?');
    expect(redactPgLiterals('SELECT $q$Jane')).toBe('SELECT ?');
    expect(redactPgLiterals('SELECT 1 /* Jane')).toBe('SELECT ? ?');
  });

  it('lets no literal survive (random statements)', () => {
    const next = random(6);
    for (let round = 0; round < 500; round++) {
      const literal = pick(next, [`'${SECRET}'`, `E'\\'${SECRET}'`, `$$${SECRET}$$`, `$a$${SECRET}$a$`, `'${SECRET}''s'`, `U&'${SECRET}'`, '19801231', `'a\\'${SECRET}'`]);
      const comment = pick(next, ['', ` -- ${SECRET}\n`, ` /* ${SECRET} */ `]);
      const sql = `SELECT a${comment} FROM t WHERE b = ${literal} AND c = 1`;
      expect(redactPgLiterals(sql), sql).not.toMatch(/JaneDoe|1980/);
    }
  });

  it('picks the dialect by protocol', () => {
    expect(redactSqlLiterals("SELECT 'a\\'b'", 'mysql')).toBe('SELECT ?');
    expect(redactSqlLiterals('SELECT `x`, 1', 'postgres')).not.toContain('1');
  });
});
