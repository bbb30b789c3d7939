// host:port strings and the hosts in them.
import { isIP } from 'node:net';

export type HostPort = { ok: true; host: string; port: number } | { ok: false; message: string };

// RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens.
const label = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const hostname = new RegExp(`^(?=.{1,253}$)${label}(?:\\.${label})*\\.?$`);

/**
 * `127.0.0.1:6432`, `[::1]:6432`, `db.internal:5432` -> host (IPv6 without brackets) and port.
 * A local listen address may use port 0: the system picks a free port, and the log says which.
 */
export function parseHostPort(text: string, opts: { ephemeral?: boolean } = {}): HostPort {
  const bracketed = /^\[([^\]]*)\]:(.*)$/.exec(text);
  let host: string;
  let portText: string;
  if (bracketed) {
    host = bracketed[1] ?? '';
    portText = bracketed[2] ?? '';
    if (isIP(host) !== 6) return { ok: false, message: `"${text}": "[${host}]" is not an IPv6 address` };
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) return { ok: false, message: `"${text}" has no port: expected host:port, e.g. 127.0.0.1:6432` };
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) return { ok: false, message: `"${text}": write an IPv6 address in brackets, e.g. [::1]:6432` };
    if (isIP(host) === 0 && !hostname.test(host)) {
      return { ok: false, message: `"${text}": "${host}" is not a valid host name or IP address` };
    }
  }
  const port = opts.ephemeral && portText === '0' ? 0 : parsePort(portText);
  if (port === undefined) return { ok: false, message: `"${text}": port must be a number from ${opts.ephemeral ? 0 : 1} to 65535` };
  return { ok: true, host, port };
}

export function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** Hosts that can only be reached from this machine. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(bare) || /^::ffff:127\./.test(bare);
  return false;
}

/** Addresses that accept connections from every interface (so not only loopback clients). */
export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}
