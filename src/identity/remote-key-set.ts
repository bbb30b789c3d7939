// Keys from a JWKS URL. jose caches the set, refetches it when a token names an unknown key id
// (at most once per cooldown) and when the cache ages out.
import { createRemoteJWKSet, type RemoteJWKSet } from 'jose';
import { isKeyMatchError, keysUnavailable, type KeyResolver, type KeySource } from './key-resolver.js';
import { checkKeyUrl, forMessages } from './key-url.js';

export const REMOTE_JWKS_OPTIONS = {
  timeoutDuration: 5_000,
  cooldownDuration: 30_000,
  cacheMaxAge: 10 * 60_000,
} as const;

export class RemoteKeySet implements KeySource {
  readonly description: string;
  private readonly set: RemoteJWKSet;

  constructor(url: string | URL, what = 'identity.jwks url') {
    const checked = url instanceof URL ? url : checkKeyUrl(url, what);
    this.description = forMessages(checked);
    this.set = createRemoteJWKSet(checked, REMOTE_JWKS_OPTIONS);
  }

  readonly resolve: KeyResolver = async (header, token) => {
    try {
      return await this.set(header, token);
    } catch (err) {
      if (isKeyMatchError(err)) throw err;
      throw keysUnavailable(this.description, err);
    }
  };

  async load(): Promise<void> {
    try {
      await this.set.reload();
    } catch (err) {
      throw keysUnavailable(this.description, err);
    }
  }
}
