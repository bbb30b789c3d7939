import { describe, expect, it } from 'vitest';
import { rememberLast } from '../../../src/sql/last-string-memo.js';

describe('rememberLast', () => {
  it('answers a repeat of the last string from memory, and any other string from the function', () => {
    let calls = 0;
    const lex = rememberLast((sql) => ({ sql, n: ++calls }), 10);
    const first = lex('select 1');
    expect(lex('select 1')).toBe(first);
    expect(lex('select 2')).toEqual({ sql: 'select 2', n: 2 });
    expect(lex('select 1')).toEqual({ sql: 'select 1', n: 3 });
    expect(calls).toBe(3);
  });

  it('does not keep a string past the length bound', () => {
    let calls = 0;
    const lex = rememberLast(() => ++calls, 4);
    lex('long string');
    lex('long string');
    expect(calls).toBe(2);
  });
});
