import { describe, expect, it } from 'vitest';
import { ShapeCache } from '../../../src/sql/shape-cache.js';

describe('ShapeCache', () => {
  it('counts hits and misses', () => {
    const cache = new ShapeCache<number>();
    expect(cache.get('a')).toBeUndefined();
    cache.set('a', 1);
    expect(cache.get('a')).toBe(1);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, entries: 1 });
  });

  it('evicts the least recently used entry past its size', () => {
    const cache = new ShapeCache<number>({ maxEntries: 2 });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.get('a'); // b is now the oldest
    cache.set('c', 3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
    expect(cache.stats()).toMatchObject({ evictions: 1, entries: 2 });
  });

  it('bounds the total length of its keys', () => {
    const cache = new ShapeCache<number>({ maxKeyChars: 10 });
    cache.set('aaaa', 1);
    cache.set('bbbb', 2);
    cache.set('cccc', 3);
    expect(cache.stats()).toMatchObject({ entries: 2, keyChars: 8 });
    cache.set('x'.repeat(11), 4);
    expect(cache.stats().entries).toBe(2);
  });

  it('replaces an entry set twice without growing', () => {
    const cache = new ShapeCache<number>({ maxEntries: 2 });
    cache.set('a', 1);
    cache.set('a', 2);
    expect(cache.get('a')).toBe(2);
    expect(cache.stats()).toMatchObject({ entries: 1, keyChars: 1 });
  });
});
