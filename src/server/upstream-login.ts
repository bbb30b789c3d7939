// The upstream login a role uses: its own service credentials, never the client's; and the
// check that a restricted role's login is not superuser-like (login-privileges.ts judges).
import { connectUpstream, type UpstreamLogin } from '../../protocols/postgres/upstream-handshake.js';
import { SimpleQueryConnection } from '../../protocols/postgres/simple-query.js';
import type { ListenerContext } from './listener-context.js';
import { judgeLogin, mysqlGrants, PG_PRIVILEGES_QUERY, pgPrivileges, unverifiedLogin, type LoginVerdict } from './login-privileges.js';

export function upstreamLoginFor(ctx: ListenerContext, role: string, params: Record<string, string>): UpstreamLogin {
  const up = ctx.upstream;
  const creds = ctx.roles.find((r) => r.name === role)?.credentials[up.name];
  return {
    host: up.host,
    port: up.port,
    database: up.database,
    user: creds?.user ?? up.user,
    password: creds ? creds.password : up.password,
    tls: { mode: up.tls.mode, ca: ctx.upstreamCa, serverName: up.tls.serverName },
    connectTimeoutMs: up.connectTimeoutMs,
    params,
  };
}

/** How long a login's privileges are trusted before they are read again (grants change). */
const PRIVILEGES_TTL_MS = 5 * 60_000;

interface CachedPrivileges {
  at: number;
  privileges: Promise<string[]>;
}

/** Per listener, per upstream user: one read shared by concurrent logins; failures are not kept. */
const privilegeCache = new WeakMap<ListenerContext, Map<string, CachedPrivileges>>();

function cachedPrivileges(ctx: ListenerContext, user: string, read: () => Promise<string[]>): Promise<string[]> {
  let byUser = privilegeCache.get(ctx);
  if (!byUser) privilegeCache.set(ctx, (byUser = new Map()));
  const hit = byUser.get(user);
  if (hit && Date.now() - hit.at < PRIVILEGES_TTL_MS) return hit.privileges;
  const entry: CachedPrivileges = { at: Date.now(), privileges: read() };
  byUser.set(user, entry);
  entry.privileges.catch(() => {
    if (byUser.get(user) === entry) byUser.delete(user);
  });
  return entry.privileges;
}

/** Reads a PostgreSQL login's privileges on a connection of its own (the session's stays untouched). */
async function readPgPrivileges(login: UpstreamLogin): Promise<string[]> {
  const up = await connectUpstream({ ...login, params: { application_name: 'sqlveil-login-check' } });
  up.socket.on('error', () => undefined);
  const conn = new SimpleQueryConnection(up.socket);
  try {
    return pgPrivileges(up.parameters.get('is_superuser'), await conn.query(PG_PRIVILEGES_QUERY));
  } finally {
    conn.close();
  }
}

/** Reads a MySQL login's global privileges from SHOW GRANTS, and those of the roles granted to it. */
async function readMysqlPrivileges(ctx: ListenerContext, login: UpstreamLogin): Promise<string[]> {
  const { default: driver } = await import('mysql2/promise');
  const mode = login.tls.mode;
  const conn = await driver.createConnection({
    host: login.host,
    port: login.port,
    user: login.user,
    ...(login.password !== undefined ? { password: login.password } : {}),
    connectTimeout: login.connectTimeoutMs,
    ...(mode === 'disable' || mode === 'prefer' ? {} : { ssl: { ca: ctx.upstreamCa, rejectUnauthorized: mode === 'verify-ca' || mode === 'verify-full' } }),
  });
  conn.on('error', () => undefined);
  try {
    const privileged = new Set<string>();
    const seen = new Set<string>();
    let pending: (string | undefined)[] = [undefined]; // undefined: the login itself
    while (pending.length > 0 && seen.size < 32) {
      const next: string[] = [];
      for (const role of pending) {
        const [rows] = await conn.query({ sql: role === undefined ? 'SHOW GRANTS' : `SHOW GRANTS FOR ${conn.escapeId(role)}`, rowsAsArray: true });
        const grants = mysqlGrants((rows as unknown[][]).map((r) => String(r[0])));
        grants.privileged.forEach((p) => privileged.add(role === undefined ? p : `${p} (role ${role})`));
        for (const r of grants.roles.filter((g) => !seen.has(g))) {
          seen.add(r);
          next.push(r);
        }
      }
      pending = next;
    }
    return [...privileged];
  } finally {
    conn.destroy();
  }
}

/**
 * The check of a role's upstream login at session login: its privileges, read once per
 * PRIVILEGES_TTL_MS per user, plus (PostgreSQL) the is_superuser the server reported for this
 * very session. Roles that are not checked return at once.
 */
export async function checkUpstreamLogin(ctx: ListenerContext, role: string, login: UpstreamLogin, sessionIsSuperuser?: string): Promise<LoginVerdict> {
  const check = ctx.roles.find((r) => r.name === role)?.upstreamLogin;
  const who = { role, upstream: ctx.upstream.name, user: login.user };
  if (!check || check.superuser === 'allow') return { action: 'ok' };
  if (sessionIsSuperuser === 'on') return judgeLogin(who, check, ['superuser']);
  try {
    const read = ctx.upstream.protocol === 'mysql' ? () => readMysqlPrivileges(ctx, login) : () => readPgPrivileges(login);
    return judgeLogin(who, check, await cachedPrivileges(ctx, login.user, read));
  } catch (err) {
    return unverifiedLogin(who, check, err instanceof Error ? err.message : String(err));
  }
}

/** Logs the verdict (never secrets); returns it so the caller can refuse. */
export function logLoginVerdict(ctx: ListenerContext, role: string, user: string, verdict: LoginVerdict, at: 'start' | 'login'): LoginVerdict {
  if (verdict.action === 'ok') return verdict;
  const fields = { role, upstream: ctx.upstream.name, upstreamUser: user, check: verdict.action, at };
  if (verdict.action === 'refuse') ctx.log.error(fields, `${at === 'start' ? `every session of role ${role} will be refused` : 'upstream login refused'}: ${verdict.message}; ${verdict.hint}`);
  // Said loudly at start; per session it would flood the log of a deployment that chose `warn`.
  else if (at === 'start') ctx.log.warn(fields, `WARNING: ${verdict.message}; ${verdict.hint}`);
  else ctx.log.debug(fields, verdict.message);
  return verdict;
}

/**
 * At start-up, says loudly which checked roles log in as superuser-like logins (a warning for
 * `warn`, an error for `refuse`, whose sessions will be refused). In the background: a database
 * that is down delays nothing.
 */
export function probeRoleLogins(ctx: ListenerContext): Promise<void> {
  const checked = ctx.roles.filter((r) => r.upstreamLogin && r.upstreamLogin.superuser !== 'allow');
  return Promise.all(
    checked.map(async (r) => {
      const login = upstreamLoginFor(ctx, r.name, {});
      logLoginVerdict(ctx, r.name, login.user, await checkUpstreamLogin(ctx, r.name, login), 'start');
    }),
  ).then(() => undefined);
}
