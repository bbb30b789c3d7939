// Judging a role's upstream login: what PostgreSQL and MySQL report, and the refusal text.
import { describe, expect, it } from 'vitest';
import { judgeLogin, mysqlGrants, pgPrivileges, unverifiedLogin } from '../../../src/server/login-privileges.js';
import type { UpstreamLoginCheck } from '../../../src/policy/config/types.js';

const refuse: UpstreamLoginCheck = { superuser: 'refuse', restricted: true, configured: false };
const warn: UpstreamLoginCheck = { superuser: 'warn', restricted: true, configured: true };
const unchecked: UpstreamLoginCheck = { superuser: 'allow', restricted: false, configured: false };
const who = { role: 'agent', upstream: 'pg', user: 'postgres' };

describe('pgPrivileges', () => {
  it('takes the server-confirmed is_superuser', () => {
    expect(pgPrivileges('on', [['false', 'false', 'false', '']])).toEqual(['superuser']);
  });
  it('reads rolsuper, BYPASSRLS, CREATEROLE and privileged role membership', () => {
    expect(pgPrivileges('off', [['true', 'true', 'false', 'pg_monitor,pg_read_all_stats']])).toEqual(['superuser', 'BYPASSRLS', 'pg_monitor', 'pg_read_all_stats']);
    expect(pgPrivileges('off', [['false', 'false', 'true', '']])).toEqual(['CREATEROLE']);
  });
  it('finds nothing for a plain login', () => {
    expect(pgPrivileges('off', [['false', 'false', 'false', '']])).toEqual([]);
  });
  it('fails closed when the role row is missing', () => {
    expect(pgPrivileges('off', [])).toHaveLength(1);
  });
});

describe('mysqlGrants', () => {
  it('finds ALL PRIVILEGES of root, and ignores what the line says of passwords', () => {
    const g = mysqlGrants(["GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` IDENTIFIED BY PASSWORD '*ABC' WITH GRANT OPTION", "GRANT PROXY ON ''@'%' TO 'root'@'localhost' WITH GRANT OPTION"]);
    expect(g).toEqual({ privileged: ['ALL PRIVILEGES'], roles: [] });
  });
  it('finds SUPER, PROCESS, FILE and MariaDB/MySQL 8 admin privileges among harmless ones', () => {
    const g = mysqlGrants(['GRANT SELECT, PROCESS, FILE, SUPER, READ_ONLY ADMIN, RELOAD ON *.* TO `a`@`%`', 'GRANT SYSTEM_VARIABLES_ADMIN,BACKUP_ADMIN ON *.* TO `a`@`%`']);
    expect(g.privileged.sort()).toEqual(['FILE', 'PROCESS', 'READ_ONLY ADMIN', 'SUPER', 'SYSTEM_VARIABLES_ADMIN']);
  });
  it('finds nothing for a least-privileged login, and lists its roles', () => {
    const g = mysqlGrants(["GRANT USAGE ON *.* TO `sqlveil_agent`@`%` IDENTIFIED BY PASSWORD '*X'", 'GRANT SELECT ON `clinic`.* TO `sqlveil_agent`@`%`', 'GRANT FILE ON `clinic`.`t` TO `x`@`%`', 'GRANT `reader` TO `sqlveil_agent`@`%`']);
    expect(g).toEqual({ privileged: [], roles: ['reader'] });
  });
});

describe('judgeLogin', () => {
  it('refuses a superuser-like login of a checked role, naming role, login, why and what to do', () => {
    const v = judgeLogin(who, refuse, ['superuser']);
    expect(v.action).toBe('refuse');
    if (v.action === 'ok') return;
    expect(v.message).toContain('role "agent"');
    expect(v.message).toContain('"postgres"');
    expect(v.message).toContain('superuser');
    expect(v.hint).toMatch(/least-privileged login.*credentials\.pg/);
  });
  it('warns when the role says warn, and lets a plain login or an unchecked role through', () => {
    expect(judgeLogin(who, warn, ['PROCESS']).action).toBe('warn');
    expect(judgeLogin(who, refuse, []).action).toBe('ok');
    expect(judgeLogin(who, unchecked, ['superuser']).action).toBe('ok');
    expect(judgeLogin(who, undefined, ['superuser']).action).toBe('ok');
  });
  it('fails closed when the privileges cannot be read', () => {
    expect(unverifiedLogin(who, refuse, 'connection refused').action).toBe('refuse');
    expect(unverifiedLogin(who, warn, 'connection refused').action).toBe('warn');
    expect(unverifiedLogin(who, unchecked, 'connection refused').action).toBe('ok');
  });
});
