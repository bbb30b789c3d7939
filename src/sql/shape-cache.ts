// A bounded least-recently-used map from statement shape to its structural analysis. Bounded
// twice: by entry count, and by the total length of the keys, so that an agent sending many
// distinct long statements cannot grow the gateway's memory without limit.

export interface ShapeCacheOptions {
  /** Most entries kept (default 10,000). */
  maxEntries?: number;
  /** Most UTF-16 units of keys kept in all (default 16 Mi, about 32 MiB of key text). */
  maxKeyChars?: number;
}

export interface ShapeCacheStats {
  hits: number;
  misses: number;
  evictions: number;
  entries: number;
  keyChars: number;
}

export class ShapeCache<V> {
  private readonly entries = new Map<string, V>();
  private readonly maxEntries: number;
  private readonly maxKeyChars: number;
  private keyChars = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;

  constructor(options: ShapeCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.maxKeyChars = options.maxKeyChars ?? 16 * 1024 * 1024;
  }

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Map keeps insertion order: re-inserting makes this the most recently used entry.
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  set(key: string, value: V): void {
    if (this.maxEntries <= 0 || key.length > this.maxKeyChars) return;
    if (this.entries.delete(key)) this.keyChars -= key.length;
    this.entries.set(key, value);
    this.keyChars += key.length;
    while (this.entries.size > this.maxEntries || this.keyChars > this.maxKeyChars) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      this.keyChars -= oldest.length;
      this.evictions++;
    }
  }

  clear(): void {
    this.entries.clear();
    this.keyChars = 0;
  }

  stats(): ShapeCacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      evictions: this.evictions,
      entries: this.entries.size,
      keyChars: this.keyChars,
    };
  }
}
