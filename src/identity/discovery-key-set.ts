// Keys named by an OIDC discovery document. The document is fetched lazily, once; a failed fetch
// is retried by the next caller. Its `issuer` must equal the configured issuer (OpenID Connect
// Discovery 1.0 §4.3), otherwise a document for another tenant could hand us its keys.
import { shown } from './shown.js';
import { IdentityError } from './types.js';
import { keysUnavailable, type KeyResolver, type KeySource } from './key-resolver.js';
import { checkKeyUrl, forMessages } from './key-url.js';
import { RemoteKeySet, REMOTE_JWKS_OPTIONS } from './remote-key-set.js';

const WELL_KNOWN = '/.well-known/openid-configuration';

export class DiscoveryKeySet implements KeySource {
  readonly description: string;
  private readonly url: URL;
  private keys?: RemoteKeySet;
  private pending?: Promise<RemoteKeySet>;

  /** `url` is the discovery document's URL, or the issuer URL to which the well-known path is added. */
  constructor(
    url: string,
    private readonly issuer: string,
  ) {
    this.url = discoveryDocumentUrl(checkKeyUrl(url, 'identity.jwks discovery url'));
    this.description = `discovery document ${forMessages(this.url)}`;
  }

  readonly resolve: KeyResolver = async (header, token) => (await this.remote()).resolve(header, token);

  async load(): Promise<void> {
    await (await this.remote()).load();
  }

  private remote(): Promise<RemoteKeySet> {
    if (this.keys) return Promise.resolve(this.keys);
    this.pending ??= this.discover()
      .then((keys) => (this.keys = keys))
      .catch((err: unknown) => {
        throw keysUnavailable(this.description, err);
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  private async discover(): Promise<RemoteKeySet> {
    const response = await fetch(this.url, {
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(REMOTE_JWKS_OPTIONS.timeoutDuration),
    });
    if (response.status !== 200) throw new Error(`expected 200 OK, got ${response.status}`);
    let doc: unknown;
    try {
      doc = await response.json();
    } catch {
      throw new Error('response is not valid JSON');
    }
    if (!doc || typeof doc !== 'object') throw new Error('response is not a JSON object');
    const { issuer, jwks_uri: jwksUri } = doc as { issuer?: unknown; jwks_uri?: unknown };
    if (issuer !== this.issuer) {
      throw new IdentityError(
        `signing keys unavailable: ${this.description} names issuer ${shown(issuer)} but the rules file expects '${this.issuer}'`,
        'keys_unavailable',
      );
    }
    if (typeof jwksUri !== 'string') throw new Error('document has no jwks_uri');
    return new RemoteKeySet(checkKeyUrl(jwksUri, 'jwks_uri from the discovery document'));
  }
}

function discoveryDocumentUrl(url: URL): URL {
  if (url.pathname.includes('/.well-known/')) return url;
  const document = new URL(url.href);
  document.pathname = `${url.pathname.replace(/\/+$/, '')}${WELL_KNOWN}`;
  return document;
}
