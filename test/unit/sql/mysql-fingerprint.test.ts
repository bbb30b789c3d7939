// The MySQL fingerprint lexer: what it folds, what it keeps, what it refuses; and property tests
// of the cache key: statements differing only in literals, spacing, comments and keyword case
// share it; statements differing in structure never do; two strings sharing it analyse alike.
import { describe, expect, it } from 'vitest';
import { MysqlStatementAnalyzer } from '../../../src/sql/mysql-analyzer.js';
import { fingerprintMysql, mysqlLiteralValue } from '../../../src/sql/mysql-fingerprint.js';
import { pick, random } from './helpers.js';

const shape = (sql: string): string => fingerprintMysql(sql).shape;

describe('MySQL fingerprint', () => {
  const shapes: [string, string][] = [
    ['SELECT abalance FROM accounts WHERE aid = 123;', 'select abalance from accounts where aid = ? ;'],
    ["select * from t where a = 'x' and b = \"y\" and c = 1.5e3 and d = .5", 'select * from t where a = ? and b = ? and c = ? and d = ?'],
    ["SELECT X'4D', 0x4d, b'101', 0b101, N'ü', _utf8mb4'x', _binary X'00'", 'select ? , ? , ? , ? , ? , ? , ?'],
    ["SELECT 'a' 'b' \"c\"", 'select ?'],
    ["SELECT 'it''s', 'it\\'s', 'a\\\\'", 'select ? , ? , ?'],
    ['SELECT 1 -- comment\n, 2 # another\n, 3 /* block */', 'select ? , ? , ?'],
    ['SELECT 1--1', 'select ? - - ?'],
    ['SELECT 1 --\n', 'select ?'],
    ['SELECT `Weird Name`, `a``b` FROM `DB`.`T`', 'select `Weird Name` , `a``b` from `DB` . `T`'],
    ['SELECT a<=>b, c->>\'$.x\', d := 1, @v, @@SESSION.sql_mode, ?', 'select a <=> b , c ->> ? , d := ? , @v , @@session.sql_mode , ?'],
    ['SeLeCt  A\n\tFROM   T', 'select a from t'],
  ];
  it.each(shapes)('%s', (sql, expected) => {
    expect(shape(sql)).toBe(expected);
  });

  it('keeps the case of names in the cache key (table names are case-sensitive in MySQL)', () => {
    const [a, b] = [fingerprintMysql('SELECT * FROM Patients'), fingerprintMysql('SELECT * FROM patients')];
    expect(a.shape).toBe(b.shape);
    expect(a.key).not.toBe(b.key);
  });

  it('tells a parameter from a literal in the key', () => {
    expect(fingerprintMysql('SELECT ?, 1').key).not.toBe(fingerprintMysql('SELECT 1, ?').key);
  });

  it('decodes literal values as MySQL does', () => {
    const values = (sql: string): string[] => {
      const fp = fingerprintMysql(sql);
      return fp.lex.literals.map((literal) => mysqlLiteralValue(sql, literal));
    };
    expect(values("SELECT 'it''s', 'a\\'b', 'a\\nb', \"q\"\"q\", 'x' 'y', _latin1'z', 'a\\%'")).toEqual(["it's", "a'b", 'a\nb', 'q"q', 'xy', 'z', 'a\\%']);
    expect(values("SELECT 42, 1.5, X'4D', 0x4D, b'1'")).toEqual(['42', '1.5', '4D', '0x4D', '1']);
  });

  it('refuses executable comments and unterminated tokens, and does not cache odd strings', () => {
    expect(fingerprintMysql('SELECT /*! 1 */').lex.refused).toMatch(/executable/);
    expect(fingerprintMysql('SELECT /*M!100000 1 */').lex.refused).toMatch(/executable/);
    expect(fingerprintMysql('SELECT /*+ BKA(t) */ 1').lex.refused).toBeUndefined();
    expect(fingerprintMysql("SELECT 'x").lex.refused).toMatch(/unterminated/);
    for (const sql of ['SELECT 1abc FROM t', 'SELECT a FROM t WHERE b = {d 1}', `SELECT '${'x'.repeat(70_000)}'`]) {
      expect(fingerprintMysql(sql).key, sql).toBeUndefined();
    }
  });
});

type Token =
  | { type: 'word'; text: string }
  | { type: 'quoted'; text: string }
  | { type: 'symbol'; text: string }
  | { type: 'literal'; kind: 'integer' | 'decimal' | 'string' | 'hex' };

const w = (text: string): Token => ({ type: 'word', text });
const s = (text: string): Token => ({ type: 'symbol', text });
const lit = (kind: Extract<Token, { type: 'literal' }>['kind']): Token => ({ type: 'literal', kind });
type Next = () => number;
const anyLiteral = (next: Next): Token => lit(pick(next, ['integer', 'decimal', 'string', 'hex'] as const));

function identifier(next: Next): Token {
  let name = 'xq'; // never a keyword (`xor` is one)
  const length = 1 + Math.floor(next() * 6);
  for (let i = 0; i < length; i++) name += pick(next, [...'abcdefghijklmnopqrstuvwxyz', '_', '1']);
  return next() < 0.2 ? { type: 'quoted', text: name.replace(/^x/, pick(next, ['X', 'Ab', 'a b', 'Q`q'])) } : w(name);
}

function statement(next: Next): Token[] {
  const [t, c1, c2, f] = [identifier(next), identifier(next), identifier(next), identifier(next)];
  const op = pick(next, ['=', '<>', '<', '>=', '!=', '<=>']);
  const templates: Token[][] = [
    [w('select'), c1, s(','), c2, w('from'), t, w('where'), c1, s(op), anyLiteral(next), w('and'), c2, s('>'), anyLiteral(next), w('limit'), lit('integer')],
    [w('insert'), w('into'), t, s('('), c1, s(','), c2, s(')'), w('values'), s('('), anyLiteral(next), s(','), anyLiteral(next), s(')')],
    [w('update'), t, w('set'), c1, s('='), anyLiteral(next), w('where'), c2, s(op), anyLiteral(next), w('limit'), lit('integer')],
    [w('select'), c1, w('from'), t, w('where'), c1, w('in'), s('('), anyLiteral(next), s(','), anyLiteral(next), s(')'), w('order'), w('by'), c1, w('limit'), lit('integer'), s(','), lit('integer')],
    [w('select'), f, s('('), c1, s(','), anyLiteral(next), s(')'), w('from'), t, w('where'), c2, w('like'), lit('string'), s(';'), w('select'), lit('integer')],
    [w('delete'), w('from'), t, w('where'), c1, s(op), s('?'), w('or'), c2, w('is'), w('null')],
  ];
  return pick(next, templates);
}

function literalText(kind: Extract<Token, { type: 'literal' }>['kind'], next: Next): string {
  const n = Math.floor(next() * 100000);
  switch (kind) {
    case 'integer':
      return String(n);
    case 'decimal':
      return `${n}.${Math.floor(next() * 100)}`;
    case 'string':
      return pick(next, [`'v${n}'`, `'it''s'`, `'it\\'s'`, `"dq${n}"`, `'''; drop table x; -- '`, `'/* not a comment */'`, `'# nor this'`, `''`, `'a\\\\'`, `_utf8mb4'u${n}'`, `'a' 'b'`]);
    case 'hex':
      return pick(next, [`X'4D${n % 10}'`, `0x${n.toString(16)}`]);
  }
}

const randomCase = (text: string, next: Next): string => [...text].map((c) => (next() < 0.5 ? c.toUpperCase() : c)).join('');
const SEPARATORS = [' ', '  ', '\n', '\t', ' /* c */ ', '/**/', ' -- note\n', ' # note\n', '\r\n'];

/** `keywordCase`: one casing of keywords for the whole string (the key keeps the case of words). */
function render(tokens: Token[], next: Next, keywordCase?: (text: string) => string): string {
  return tokens
    .map((token) => {
      switch (token.type) {
        case 'word':
          // Keywords in any case; names as generated (their case is part of the key).
          return /^x/.test(token.text) ? token.text : keywordCase !== undefined ? keywordCase(token.text) : randomCase(token.text, next);
        case 'quoted':
          return `\`${token.text.replace(/`/g, '``')}\``;
        case 'symbol':
          return token.text;
        case 'literal':
          return literalText(token.kind, next);
      }
    })
    .map((text, index) => (index === 0 ? text : pick(next, SEPARATORS) + text))
    .join('');
}

function mutate(tokens: Token[], next: Next): Token[] | undefined {
  const index = Math.floor(next() * tokens.length);
  const token = tokens[index]!;
  let replacement: Token | undefined;
  if (token.type === 'word') replacement = w(token.text === 'and' ? 'or' : `${token.text}z`);
  else if (token.type === 'quoted') replacement = { type: 'quoted', text: token.text.toUpperCase() === token.text ? token.text.toLowerCase() : token.text.toUpperCase() };
  else if (token.type === 'symbol') replacement = s(token.text === '=' ? '<>' : token.text === '?' ? ')' : token.text === ',' ? ';' : '=');
  if (replacement === undefined || JSON.stringify(replacement) === JSON.stringify(token)) return undefined;
  return tokens.map((t, i) => (i === index ? replacement : t));
}

describe('MySQL cache key properties', () => {
  it('gives one shape to statements differing only in literals, spacing, comments and keyword case', () => {
    const next = random(41);
    for (let round = 0; round < 2000; round++) {
      const tokens = statement(next);
      const [a, b] = [render(tokens, next), render(tokens, next)];
      expect(fingerprintMysql(b).shape, `${a} | ${b}`).toBe(fingerprintMysql(a).shape);
    }
  });

  it('gives one key to statements differing only in literals, spacing and comments', () => {
    const next = random(42);
    for (let round = 0; round < 2000; round++) {
      const tokens = statement(next);
      const keywordCase = pick(next, [(t: string) => t.toUpperCase(), (t: string) => t.toLowerCase()]);
      const [a, b] = [render(tokens, next, keywordCase), render(tokens, next, keywordCase)];
      const [fa, fb] = [fingerprintMysql(a), fingerprintMysql(b)];
      expect(fa.key !== undefined && fb.key !== undefined, `${a} | ${b}`).toBe(true);
      // Spacing is kept where the string had none (`a=1` vs `a = 1`), so compare without it.
      expect(fb.key!.replace(/ /g, ''), `${a} | ${b}`).toBe(fa.key!.replace(/ /g, ''));
    }
  });

  it('differs for statements with different structure', () => {
    const next = random(7);
    let checked = 0;
    for (let round = 0; round < 3000; round++) {
      const tokens = statement(next);
      const mutated = mutate(tokens, next);
      if (mutated === undefined) continue;
      const [a, b] = [render(tokens, next), render(mutated, next)];
      expect(fingerprintMysql(a).shape, `${a} | ${b}`).not.toBe(fingerprintMysql(b).shape);
      checked++;
    }
    for (const [a, b] of [
      ['select 1', 'select 1; select 1'],
      ['select `Name` from t', 'select `name` from t'],
      ['select a - -1', 'select a -- 1\n'],
      ['select a from t', 'select a from t /*!50000 where 1 */'],
      ["select 'a\\'; drop table t; -- '", "select 'a'; drop table t; -- '"],
    ]) {
      expect(fingerprintMysql(a!).shape).not.toBe(fingerprintMysql(b!).shape);
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('never lets two strings with one key analyse differently', () => {
    const uncached = new MysqlStatementAnalyzer({ cacheEntries: 0 });
    const next = random(99);
    const strip = (analysis: ReturnType<typeof uncached.analyze>): unknown =>
      analysis.ok ? analysis.statements.map(({ limit: _limit, ...rest }) => rest) : 'refused';
    for (let round = 0; round < 600; round++) {
      const tokens = statement(next);
      const [a, b] = [render(tokens, next), render(tokens, next)];
      expect(strip(uncached.analyze(b, { searchPath: [] })), `${a} | ${b}`).toEqual(strip(uncached.analyze(a, { searchPath: [] })));
    }
  });

  it('keeps a string holding an injection attempt as one literal', () => {
    const next = random(3);
    for (let round = 0; round < 200; round++) {
      const payload = pick(next, [`'; drop table x; --`, `' or 1=1 -- `, `*/ drop table x /*`, `\\'; drop table x; #`, `/*!50000 drop table x */`]);
      const sql = `select * from t where a = '${payload.replace(/\\/g, '\\\\').replace(/'/g, "''")}' and b = ${round}`;
      const fingerprint = fingerprintMysql(sql);
      expect(fingerprint.key, sql).toBeDefined();
      expect(fingerprint.shape).toBe('select * from t where a = ? and b = ?');
      expect(fingerprint.lex.literals).toHaveLength(2);
    }
  });
});

describe('MySQL analyzer on arbitrary input', () => {
  it('never throws, and answers ok or a refusal', () => {
    const analyzer = new MysqlStatementAnalyzer();
    const next = random(11);
    const pieces = ['select', ' ', 'from', 't', '(', ')', "'", '"', '`', '\\', '/*', '*/', '/*!', '--', '-- ', '#', '\n', ';', ',', '.', '@', '@@', '?', '1', '0x', "x'", '_utf8mb4', 'into', 'outfile', 'set', 'names', 'sql_mode', '=', 'ü', '\u{1F600}', '\0', 'handler', 'do', 'table', 'values', 'row', 'prepare', 'execute', 'create', 'procedure', 'begin', 'end', 'with', 'recursive', 'union', '*'];
    for (let round = 0; round < 3000; round++) {
      let sql = '';
      const length = 1 + Math.floor(next() * 25);
      for (let i = 0; i < length; i++) sql += pick(next, pieces);
      const analysis = analyzer.analyze(sql, { searchPath: [] });
      expect(typeof analysis.ok, sql).toBe('boolean');
    }
  });
});
