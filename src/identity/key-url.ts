// Where keys may be fetched from: https anywhere, plain http only to this machine. Key material
// fetched over cleartext from another host could be swapped in transit, and every token with it.
import { IdentityError } from './types.js';

export function checkKeyUrl(raw: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new IdentityError(`signing keys unavailable: ${what} is not a valid URL`, 'keys_unavailable');
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return url;
  throw new IdentityError(
    `signing keys unavailable: ${what} ${forMessages(url)} must use https (plain http is allowed only for localhost)`,
    'keys_unavailable',
  );
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** A URL as it may appear in messages: no credentials, query or fragment. */
export function forMessages(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}
