// Keys from a JWKS file on disk. The file is re-read when a token names a key id the set does not
// hold (so an issuer's key rotation works without a restart) and when the file changes (so a
// removed key stops being accepted), each at most once per interval.
import { readFile, stat } from 'node:fs/promises';
import { createLocalJWKSet, errors, type JSONWebKeySet, type LocalJWKSet } from 'jose';
import { keysUnavailable, type Clock, type KeyResolver, type KeySource } from './key-resolver.js';

export interface FileKeySetOptions {
  now?: Clock;
  /** Least time between re-reads caused by unknown key ids, and between checks for a changed file. */
  rereadIntervalMs?: number;
}

interface Loaded {
  set: LocalJWKSet;
  mtimeMs: number;
  size: number;
}

export class FileKeySet implements KeySource {
  readonly description: string;
  private readonly now: Clock;
  private readonly interval: number;
  private loaded?: Loaded;
  private pending?: Promise<Loaded>;
  private lastUnknownKidReread = -Infinity;
  private lastChangeCheck = -Infinity;

  constructor(
    private readonly path: string,
    opts: FileKeySetOptions = {},
  ) {
    this.description = `file ${path}`;
    this.now = opts.now ?? Date.now;
    this.interval = opts.rereadIntervalMs ?? 30_000;
  }

  readonly resolve: KeyResolver = async (header, token) => {
    const loaded = await this.current();
    try {
      return await loaded.set(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
      const now = this.now();
      if (now - this.lastUnknownKidReread < this.interval) throw err;
      this.lastUnknownKidReread = now;
      // A broken file mid-rotation must not take down the keys that still work.
      const next = await this.reload().catch(() => undefined);
      if (!next) throw err;
      return next.set(header, token);
    }
  };

  async load(): Promise<void> {
    await this.reload();
  }

  private async current(): Promise<Loaded> {
    if (!this.loaded) return this.reload();
    const now = this.now();
    if (now - this.lastChangeCheck >= this.interval) {
      this.lastChangeCheck = now;
      const info = await stat(this.path).catch(() => undefined);
      if (info && (info.mtimeMs !== this.loaded.mtimeMs || info.size !== this.loaded.size)) {
        await this.reload().catch(() => undefined);
      }
    }
    return this.loaded;
  }

  /** One read at a time; concurrent callers share it. Failure leaves the previous keys in place. */
  private reload(): Promise<Loaded> {
    this.pending ??= this.read()
      .then((loaded) => {
        this.loaded = loaded;
        this.lastChangeCheck = this.now();
        return loaded;
      })
      .catch((err: unknown) => {
        throw keysUnavailable(this.description, err);
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  private async read(): Promise<Loaded> {
    const info = await stat(this.path);
    const text = await readFile(this.path, 'utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error('not valid JSON');
    }
    return { set: createLocalJWKSet(publicKeySet(json)), mtimeMs: info.mtimeMs, size: info.size };
  }
}

/**
 * Accepts a JWKS (`{"keys": [...]}`) or a single public JWK. Refuses private and symmetric keys:
 * a verifier has no business holding them, and pointing the gateway at a private key file is a
 * mistake worth stopping.
 */
export function publicKeySet(json: unknown): JSONWebKeySet {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new Error('not a JSON Web Key Set (expected {"keys": [...]})');
  const keys: unknown = 'keys' in json ? json.keys : 'kty' in json ? [json] : undefined;
  if (!Array.isArray(keys)) throw new Error('not a JSON Web Key Set (expected {"keys": [...]})');
  if (keys.length === 0) throw new Error('the key set has no keys');
  for (const key of keys) {
    if (!key || typeof key !== 'object' || typeof (key as { kty?: unknown }).kty !== 'string') {
      throw new Error('the key set has an entry that is not a JWK');
    }
    if ('d' in key) throw new Error('the key set holds a private key: publish only public keys (jwks.json, not the private key file)');
    if ((key as { kty: string }).kty === 'oct') throw new Error('the key set holds a symmetric (oct) key: only public keys are accepted');
  }
  return { keys } as JSONWebKeySet;
}
