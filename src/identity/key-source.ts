// Turns the rules file's `identity.jwks` into a key source for the verifier.
import type { IdentityConfig } from '../policy/config/types.js';
import { DiscoveryKeySet } from './discovery-key-set.js';
import { FileKeySet } from './file-key-set.js';
import type { Clock, KeySource } from './key-resolver.js';
import { RemoteKeySet } from './remote-key-set.js';

export type { Clock, KeyResolver, KeySource } from './key-resolver.js';

export interface KeySourceOptions {
  now?: Clock;
  /** File sources only: least time between re-reads of the JWKS file. */
  rereadIntervalMs?: number;
}

export function createKeySource(identity: Pick<IdentityConfig, 'jwks' | 'issuer'>, opts: KeySourceOptions = {}): KeySource {
  const { jwks } = identity;
  switch (jwks.kind) {
    case 'file':
      return new FileKeySet(jwks.path, opts);
    case 'url':
      return new RemoteKeySet(jwks.url);
    case 'discovery':
      return new DiscoveryKeySet(jwks.url, identity.issuer);
  }
}
