// Upstream database URLs: postgres://user:password@host:port/database?sslmode=...
// Messages never repeat the URL: it may hold a password.
import { isIP } from 'node:net';
import type { UpstreamTlsMode, WireProtocol } from './types.js';

export interface UpstreamUrl {
  protocol: WireProtocol;
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  /** From `?sslmode=` (or MySQL's `?ssl-mode=`), when given. */
  tlsMode?: UpstreamTlsMode;
  /** Query parameters sqlveil does not use. */
  ignoredParams: string[];
}

export type ParsedUpstreamUrl = ({ ok: true } & UpstreamUrl) | { ok: false; message: string };

const schemes: Record<string, { protocol: WireProtocol; port: number }> = {
  'postgres:': { protocol: 'postgres', port: 5432 },
  'postgresql:': { protocol: 'postgres', port: 5432 },
  'mysql:': { protocol: 'mysql', port: 3306 },
  'mariadb:': { protocol: 'mysql', port: 3306 },
};

const tlsModes: readonly UpstreamTlsMode[] = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'];

// MySQL client spelling of the same modes.
const mysqlSslModes: Record<string, UpstreamTlsMode> = {
  DISABLED: 'disable',
  PREFERRED: 'prefer',
  REQUIRED: 'require',
  VERIFY_CA: 'verify-ca',
  VERIFY_IDENTITY: 'verify-full',
};

const shape = 'expected postgres://user[:password]@host[:port]/database or mysql://user[:password]@host[:port]/database';

export function parseUpstreamUrl(text: string): ParsedUpstreamUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, message: `is not a valid URL: ${shape}` };
  }
  const scheme = schemes[url.protocol];
  if (!scheme) return { ok: false, message: `unsupported scheme "${url.protocol.slice(0, 20)}//": ${shape}` };
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') return { ok: false, message: `names no host: ${shape}` };
  if (url.hostname.startsWith('[') && isIP(host) !== 6) return { ok: false, message: 'host is not a valid IPv6 address' };
  // WHATWG URL accepts port 0; a database cannot listen there.
  if (url.port === '0') return { ok: false, message: 'port must be a number from 1 to 65535' };
  const decoded = decodeParts(url);
  if (!decoded) return { ok: false, message: 'user, password or database is not valid percent-encoding' };
  if (decoded.user === '') return { ok: false, message: `names no user: ${shape}` };
  if (decoded.database.includes('/')) return { ok: false, message: 'path must be a single database name' };

  const tls = tlsModeFrom(url.searchParams);
  if (!tls.ok) return tls;
  const ignoredParams = [...url.searchParams.keys()].filter((key) => key !== 'sslmode' && key !== 'ssl-mode');
  return {
    ok: true,
    protocol: scheme.protocol,
    host,
    port: url.port === '' ? scheme.port : Number(url.port),
    user: decoded.user,
    ...(decoded.password === '' ? {} : { password: decoded.password }),
    // PostgreSQL's own default: the database named like the user. MySQL has no default database.
    database: decoded.database !== '' || scheme.protocol === 'mysql' ? decoded.database : decoded.user,
    ...(tls.mode ? { tlsMode: tls.mode } : {}),
    ignoredParams,
  };
}

function decodeParts(url: URL): { user: string; password: string; database: string } | undefined {
  try {
    return {
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      database: decodeURIComponent(url.pathname.replace(/^\//, '')),
    };
  } catch {
    return undefined;
  }
}

function tlsModeFrom(params: URLSearchParams): { ok: true; mode?: UpstreamTlsMode } | { ok: false; message: string } {
  const sslmode = params.get('sslmode');
  if (sslmode !== null) {
    const mode = tlsModes.find((m) => m === sslmode);
    if (!mode) {
      return { ok: false, message: `sslmode "${sslmode.slice(0, 40)}" is not supported: use one of ${tlsModes.join(', ')}` };
    }
    return { ok: true, mode };
  }
  const mysqlMode = params.get('ssl-mode');
  if (mysqlMode !== null) {
    const mode = mysqlSslModes[mysqlMode.toUpperCase()];
    if (!mode) {
      const supported = Object.keys(mysqlSslModes).join(', ');
      return { ok: false, message: `ssl-mode "${mysqlMode.slice(0, 40)}" is not supported: use one of ${supported}` };
    }
    return { ok: true, mode };
  }
  return { ok: true };
}
