// Property tests of the cache key: statements that differ only in literal values, spacing,
// comments and letter case share it; statements that differ in structure never do; and two
// strings that share it parse to the same tree (literal values and positions aside).
import { loadModule, parseSync } from 'libpg-query';
import { beforeAll, describe, expect, it } from 'vitest';
import { fingerprintPg } from '../../../src/sql/fingerprint.js';
import { pick, random } from './helpers.js';

beforeAll(async () => {
  await loadModule();
});

type Token =
  | { type: 'word'; text: string } // keyword or unquoted identifier, lower-case
  | { type: 'quoted'; text: string } // quoted identifier, without quotes
  | { type: 'symbol'; text: string } // operator or punctuation
  | { type: 'literal'; kind: 'integer' | 'numeric' | 'string' | 'dollar' | 'escape' | 'bit' };

const w = (text: string): Token => ({ type: 'word', text });
const s = (text: string): Token => ({ type: 'symbol', text });
const lit = (kind: Extract<Token, { type: 'literal' }>['kind']): Token => ({ type: 'literal', kind });

type Next = () => number;
const KINDS = ['integer', 'numeric', 'string', 'dollar', 'escape', 'bit'] as const;
const anyLiteral = (next: Next): Token => lit(pick(next, KINDS));

function identifier(next: Next): Token {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  let name = 'x';
  const length = 1 + Math.floor(next() * 6);
  for (let i = 0; i < length; i++) name += pick(next, [...letters, '_', '1', '$']);
  return next() < 0.2 ? { type: 'quoted', text: name.replace(/^x/, pick(next, ['X', 'Ab', 'a b', 'Q"q'])) } : w(name);
}

/** A few statement templates over random identifiers and literals; all parse. */
function statement(next: Next): Token[] {
  const [t, c1, c2, f] = [identifier(next), identifier(next), identifier(next), identifier(next)];
  const op = pick(next, ['=', '<>', '<', '>=', '!=']);
  const templates: Token[][] = [
    [w('select'), c1, s(','), c2, w('from'), t, w('where'), c1, s(op), anyLiteral(next), w('and'), c2, s('>'), anyLiteral(next), w('limit'), lit('integer')],
    [w('insert'), w('into'), t, s('('), c1, s(','), c2, s(')'), w('values'), s('('), anyLiteral(next), s(','), anyLiteral(next), s(')'), w('returning'), c1],
    [w('update'), t, w('set'), c1, s('='), anyLiteral(next), w('where'), c2, s(op), anyLiteral(next)],
    [w('select'), c1, w('from'), t, w('where'), c1, w('in'), s('('), anyLiteral(next), s(','), anyLiteral(next), s(')'), w('order'), w('by'), c1],
    [w('select'), f, s('('), c1, s(','), anyLiteral(next), s(')'), w('from'), t, w('where'), c2, w('like'), lit('string'), s(';'), w('select'), lit('integer')],
    [w('delete'), w('from'), t, w('where'), c1, s(op), s('$1'), w('or'), c2, w('is'), w('null')],
  ];
  return pick(next, templates);
}

function literalText(kind: Extract<Token, { type: 'literal' }>['kind'], next: Next): string {
  const n = Math.floor(next() * 100000);
  switch (kind) {
    case 'integer':
      return String(n);
    case 'numeric':
      return `${n}.${Math.floor(next() * 100)}`;
    case 'string':
      return pick(next, [`'v${n}'`, `'it''s'`, `'''; drop table x; --'`, `'/* not a comment */'`, `'-- nor this'`, `''`]);
    case 'dollar':
      return pick(next, [`$$v${n}$$`, `$q$'; drop table x; --$q$`, `$a$ $$ $a$`]);
    case 'escape':
      return pick(next, [`E'v${n}'`, `E'\\''`, `e'a\\\\b'`, `E'\\n'`]);
    case 'bit':
      return pick(next, [`B'0101'`, `b'1'`]);
  }
}

const randomCase = (text: string, next: Next): string =>
  [...text].map((c) => (next() < 0.5 ? c.toUpperCase() : c)).join('');

const SEPARATORS = [' ', '  ', '\n', '\t', ' /* c */ ', '/**/', ' -- note\n', '\r\n', ' /* a /* nested */ b */ '];

function render(tokens: Token[], next: Next): string {
  return tokens
    .map((token) => {
      switch (token.type) {
        case 'word':
          return randomCase(token.text, next);
        case 'quoted':
          return `"${token.text.replace(/"/g, '""')}"`;
        case 'symbol':
          return token.text;
        case 'literal':
          return literalText(token.kind, next);
      }
    })
    .map((text, index) => (index === 0 ? text : pick(next, SEPARATORS) + text))
    .join('');
}

/** A one-token structural change; returns undefined when the picked token cannot change. */
function mutate(tokens: Token[], next: Next): Token[] | undefined {
  const index = Math.floor(next() * tokens.length);
  const token = tokens[index]!;
  let replacement: Token | undefined;
  if (token.type === 'word') replacement = w(token.text === 'and' ? 'or' : `${token.text}z`);
  else if (token.type === 'quoted') replacement = { type: 'quoted', text: token.text.toUpperCase() === token.text ? token.text.toLowerCase() : token.text.toUpperCase() };
  else if (token.type === 'symbol') replacement = s(token.text === '=' ? '<>' : token.text === '$1' ? '$2' : token.text === ',' ? ';' : '=');
  if (replacement === undefined || JSON.stringify(replacement) === JSON.stringify(token)) return undefined;
  return tokens.map((t, i) => (i === index ? replacement : t));
}

/** A parse tree with constants' values and all positions removed. */
function structure(sql: string): unknown {
  return JSON.parse(JSON.stringify(parseSync(sql)), (key, value: unknown) => {
    if (/location|_len$|_list_start$|_list_end$/.test(key)) return undefined;
    if (key === 'A_Const' && value !== null && typeof value === 'object') return Object.keys(value).sort();
    return value;
  });
}

describe('fingerprint cache key properties', () => {
  it('is shared by statements differing only in literals, spacing, comments and case', () => {
    const next = random(42);
    for (let round = 0; round < 2000; round++) {
      const tokens = statement(next);
      const a = render(tokens, next);
      const b = render(tokens, next);
      const [fa, fb] = [fingerprintPg(a), fingerprintPg(b)];
      expect(fa.cacheable && fb.cacheable, `${a} | ${b}`).toBe(true);
      if (fa.cacheable && fb.cacheable) expect(fb.key, `${a} | ${b}`).toBe(fa.key);
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
      expect(fingerprintPg(a).shape, `${a} | ${b}`).not.toBe(fingerprintPg(b).shape);
      checked++;
    }
    for (const [a, b] of [
      ['select 1', 'select 1; select 1'],
      ['select "Name" from t', 'select "name" from t'],
      ['select a from t', 'select b from t'],
      ['select a from t where x = 1', 'select a from t where x <> 1'],
      ['select a from t where x = 1', 'select a from t where x = $1'],
      ["select 'a' || 'b'", "select 'a' ||| 'b'"],
      ['select a - -1', 'select a --1\n'],
    ]) {
      expect(fingerprintPg(a!).shape).not.toBe(fingerprintPg(b!).shape);
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('never maps two differently-parsing strings to one key', () => {
    const next = random(99);
    for (let round = 0; round < 1500; round++) {
      const tokens = statement(next);
      const [a, b] = [render(tokens, next), render(tokens, next)];
      expect(structure(b), `${a} | ${b}`).toEqual(structure(a));
    }
  });

  it('keeps a string holding an injection attempt as one literal', () => {
    const next = random(3);
    for (let round = 0; round < 200; round++) {
      const payload = pick(next, [`'; drop table x; --`, `' or 1=1 --`, `*/ drop table x /*`, `$$; drop table x; $$`]);
      const sql = `select * from t where a = '${payload.replace(/'/g, "''")}' and b = ${round}`;
      const fingerprint = fingerprintPg(sql);
      expect(fingerprint.cacheable).toBe(true);
      expect(fingerprint.shape).toBe('select * from t where a = ? and b = ?');
      expect(fingerprint.literals).toHaveLength(2);
    }
  });
});
