// MySQL side of the integration harness: the real local MariaDB (seeded with the clinic
// fixture), a gateway with a MySQL listener, and helpers to drive real MySQL clients.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { AGENT_MYSQL_PASSWORD, AGENT_UPSTREAM_USER, ROOT, run, startGateway, type AgentLogin, type RunResult, type TestGateway } from './harness.js';
import { allowAllGate, type StatementGate } from '../../src/session/pipeline.js';
import type { Logger } from '../../src/log.js';
import type { GatewayConfig } from '../../src/policy/config/types.js';

/** The real MariaDB/MySQL the tests use: from the environment, else the local default (root, no password). */
export const MY = {
  host: process.env.SQLVEIL_TEST_MYSQL_HOST ?? '127.0.0.1',
  port: Number(process.env.SQLVEIL_TEST_MYSQL_PORT ?? 3306),
  user: process.env.SQLVEIL_TEST_MYSQL_USER ?? 'root',
};
export const MY_URL = `mysql://${MY.user}@${MY.host}:${MY.port}/clinic`;

/** The mariadb client straight to the database, as root (for setup and for checking effects). */
export async function myDirect(sql: string, database = ''): Promise<string> {
  const args = ['-h', MY.host, '-P', String(MY.port), '-u', MY.user, '-N', '-B', '-e', sql];
  if (database) args.push(database);
  const r = await run('mariadb', args);
  if (r.code !== 0) throw new Error(`direct mariadb failed: ${r.stderr}`);
  return r.stdout.trim();
}

export async function loadMysqlClinic(): Promise<void> {
  const r = await run('mariadb', ['-h', MY.host, '-P', String(MY.port), '-u', MY.user], { input: readFileSync(join(ROOT, 'test/fixtures/clinic.mysql.sql'), 'utf8') });
  if (r.code !== 0) throw new Error(`loading clinic.mysql.sql failed: ${r.stderr}`);
  await ensureMysqlAgentLogin();
}

/**
 * Creates the agent's least-privileged MariaDB login if missing: SELECT on the clinic database
 * and no global privilege (see AgentLogin in harness.ts). Idempotent; MariaDB keeps database
 * grants across the fixture's DROP DATABASE, granting again costs nothing.
 */
export async function ensureMysqlAgentLogin(): Promise<void> {
  await myDirect(
    `CREATE USER IF NOT EXISTS '${AGENT_UPSTREAM_USER}'@'%' IDENTIFIED BY '${AGENT_MYSQL_PASSWORD}'; GRANT SELECT ON clinic.* TO '${AGENT_UPSTREAM_USER}'@'%'`,
  );
}

export interface MysqlTestGateway extends TestGateway {
  /** The bound port of the MySQL listener. */
  myPort: number;
  /** The mariadb client through the gateway, the token as its cleartext password. */
  mariadb(token: string, args: string[], opts?: { user?: string; input?: string; database?: string; env?: Record<string, string> }): Promise<RunResult>;
}

/**
 * A gateway with test/fixtures/rules/mysql.yaml (or another rules file) in front of the local
 * MariaDB. The statement gate allows everything unless one is given: until the MySQL analyzer
 * lands, the rules-file gate refuses every MySQL statement.
 */
export async function startMysqlGateway(
  opts: { rules?: string; env?: Record<string, string>; gate?: StatementGate; agentLogin?: AgentLogin; log?: Logger; configure?: (config: GatewayConfig) => void } = {},
): Promise<MysqlTestGateway> {
  if ((opts.agentLogin ?? 'least-privileged') === 'least-privileged') await ensureMysqlAgentLogin();
  const gw = await startGateway({
    agentLogin: opts.agentLogin,
    log: opts.log,
    ...(opts.configure ? { configure: opts.configure } : {}),
    rules: opts.rules ?? join(ROOT, 'test/fixtures/rules/mysql.yaml'),
    // `gate: undefined` given explicitly: the rules file's own statement policy.
    gate: 'gate' in opts ? opts.gate : allowAllGate,
    env: { SQLVEIL_MYSQL_LISTEN: '127.0.0.1:0', SQLVEIL_MYSQL_UPSTREAM: MY_URL, ...opts.env },
  });
  const listener = gw.gateway.listeners.find((l) => l.protocol === 'mysql');
  if (!listener) throw new Error('the rules file has no mysql listener');
  const myPort = listener.address.port;
  return {
    ...gw,
    myPort,
    mariadb: (token, args, o = {}) =>
      run(
        'mariadb',
        ['--connect-timeout=5', '--enable-cleartext-plugin', '-h', '127.0.0.1', '-P', String(myPort), `-u${o.user ?? 'dba-1'}`, `-p${token}`, ...args, ...(o.database === '' ? [] : [o.database ?? 'clinic'])],
        { input: o.input, env: o.env, timeoutMs: 30_000 },
      ),
  };
}
