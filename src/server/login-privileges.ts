// Is an upstream login superuser-like? Pure: reads what the server said (PostgreSQL's
// is_superuser ParameterStatus and the role query below, MySQL's SHOW GRANTS lines) and judges
// a role's login against its `upstreamLogin.superuser` setting. A restricted role whose login
// can read every table, the server's files or other sessions' statements would make every
// gateway defence the only one: least privilege upstream is the second wall.
import type { UpstreamLoginCheck } from '../policy/config/types.js';

/**
 * PostgreSQL roles that read past table grants: other sessions' statements (pg_monitor,
 * pg_read_all_stats), every table (pg_read_all_data), the server's files and programs.
 */
export const PG_PRIVILEGED_ROLES = [
  'pg_monitor',
  'pg_read_all_stats',
  'pg_read_all_data',
  'pg_write_all_data',
  'pg_read_server_files',
  'pg_write_server_files',
  'pg_execute_server_program',
];

/** One row: rolsuper, rolbypassrls, rolcreaterole, and the privileged roles the login is a member of (comma-separated). */
export const PG_PRIVILEGES_QUERY = `SELECT r.rolsuper::text, r.rolbypassrls::text, r.rolcreaterole::text,
 pg_catalog.array_to_string(ARRAY(SELECT b.rolname FROM pg_catalog.pg_roles b
   WHERE b.rolname IN (${PG_PRIVILEGED_ROLES.map((n) => `'${n}'`).join(', ')})
   AND pg_catalog.pg_has_role(r.oid, b.oid, 'MEMBER') ORDER BY b.rolname), ',')
FROM pg_catalog.pg_roles r WHERE r.rolname = current_user`;

/** What makes a PostgreSQL login privileged, from the server's login report and PG_PRIVILEGES_QUERY's rows. */
export function pgPrivileges(isSuperuser: string | undefined, rows: readonly (readonly (string | null)[])[]): string[] {
  const out = new Set<string>();
  if (isSuperuser === 'on') out.add('superuser');
  const row = rows[0];
  if (!row) {
    out.add('unknown role (the privilege query returned no row)');
    return [...out];
  }
  const [rolsuper, bypassrls, createrole, members] = row;
  if (rolsuper === 'true') out.add('superuser');
  if (bypassrls === 'true') out.add('BYPASSRLS');
  // Before PostgreSQL 16 CREATEROLE can grant itself any non-superuser role, pg_read_all_data included.
  if (createrole === 'true') out.add('CREATEROLE');
  for (const m of (members ?? '').split(',')) if (m) out.add(m);
  return [...out];
}

/**
 * Global MySQL/MariaDB privileges that reach past table grants: every session's statements
 * (PROCESS), the server's files (FILE), the binary log, other users' identities, server
 * settings. MariaDB 10.5+ split SUPER into the named ADMIN privileges; MySQL 8 has dynamic ones.
 */
const MYSQL_PRIVILEGED = new Set([
  'ALL',
  'ALL PRIVILEGES',
  'SUPER',
  'PROCESS',
  'FILE',
  'SHUTDOWN',
  'REPLICATION SLAVE',
  'REPLICA',
  'BINLOG ADMIN',
  'BINLOG REPLAY',
  'CONNECTION ADMIN',
  'FEDERATED ADMIN',
  'READ_ONLY ADMIN',
  'REPLICATION MASTER ADMIN',
  'REPLICATION SLAVE ADMIN',
  'SET USER',
  'SYSTEM_USER',
  'SYSTEM_VARIABLES_ADMIN',
  'CONNECTION_ADMIN',
  'SET_USER_ID',
  'SET_ANY_DEFINER',
  'ROLE_ADMIN',
  'BINLOG_ADMIN',
  'REPLICATION_SLAVE_ADMIN',
  'ENCRYPTION_KEY_ADMIN',
]);

const GLOBAL_GRANT = /^GRANT\s+(.+?)\s+ON\s+\*\.\*\s+TO\s/is;
/** `GRANT role TO user`: no ON clause. */
const ROLE_GRANT = /^GRANT\s+(.+?)\s+TO\s/is;

export interface MysqlGrants {
  /** Privileged global privileges found. */
  privileged: string[];
  /** Roles granted to the login (their grants are read too: SET ROLE makes them the login's). */
  roles: string[];
}

/** Reads SHOW GRANTS lines (no password hash they may hold is kept). */
export function mysqlGrants(lines: readonly string[]): MysqlGrants {
  const privileged = new Set<string>();
  const roles = new Set<string>();
  for (const raw of lines) {
    const line = raw.trim();
    const global = GLOBAL_GRANT.exec(line);
    if (global) {
      for (const p of splitList(global[1]!)) {
        const name = p.replace(/\s*\(.*$/s, '').replace(/\s+/g, ' ').toUpperCase();
        if (MYSQL_PRIVILEGED.has(name)) privileged.add(name === 'ALL' ? 'ALL PRIVILEGES' : name);
      }
      continue;
    }
    if (/\sON\s/i.test(line)) continue; // a grant on a database, table or routine; PROXY
    const role = ROLE_GRANT.exec(line);
    if (role) for (const r of splitList(role[1]!)) roles.add(unquote(r));
  }
  return { privileged: [...privileged], roles: [...roles] };
}

function splitList(list: string): string[] {
  return list.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

function unquote(name: string): string {
  return name.replace(/^[`'"]|[`'"]$/g, '');
}

export type LoginVerdict = { action: 'ok' } | { action: 'refuse' | 'warn'; message: string; hint: string };

export interface LoginSubject {
  role: string;
  upstream: string;
  user: string;
}

/** The answer for one session login: refused, allowed with a warning, or fine. */
export function judgeLogin(who: LoginSubject, check: UpstreamLoginCheck | undefined, privileged: readonly string[]): LoginVerdict {
  if (!check || check.superuser === 'allow' || privileged.length === 0) return { action: 'ok' };
  const what = `that login is superuser-like (${privileged.join(', ')}), so the database would not stop what the gateway misses`;
  return check.superuser === 'refuse'
    ? { action: 'refuse', message: `role "${who.role}" may not log in to upstream "${who.upstream}" as "${who.user}": ${what}`, hint: operatorHint(who) }
    : { action: 'warn', message: `role "${who.role}" logs in to upstream "${who.upstream}" as "${who.user}": ${what}`, hint: operatorHint(who, true) };
}

/** The privileges could not be read: a refusing check refuses (fail closed), a warning one warns. */
export function unverifiedLogin(who: LoginSubject, check: UpstreamLoginCheck | undefined, reason: string): LoginVerdict {
  if (!check || check.superuser === 'allow') return { action: 'ok' };
  return {
    action: check.superuser,
    message: `the privileges of upstream login "${who.user}" of role "${who.role}" on upstream "${who.upstream}" could not be checked: ${reason}`,
    hint: `retry later; if it persists, ${operatorHint(who)}`,
  };
}

function operatorHint(who: LoginSubject, warned = false): string {
  const login = `give role ${who.role} a least-privileged login for upstream ${who.upstream} (roles[].credentials.${who.upstream}: SELECT on what it may read, no superuser or server-wide privileges)`;
  return warned ? `${login}, then set roles[].upstreamLogin.superuser: refuse` : `the gateway operator must ${login}, or set roles[].upstreamLogin.superuser: warn`;
}
