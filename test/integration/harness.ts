// Integration harness: a gateway in this process in front of the real local PostgreSQL,
// a throw-away signing key, and helpers to run real clients (psql, pgbench, pg_dump, ...).
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateDevKey, mintDevToken, type DevKey } from '../../src/identity/dev-keys.js';
import { loadConfigFile } from '../../src/policy/config/load.js';
import type { GatewayConfig } from '../../src/policy/config/types.js';
import { Gateway } from '../../src/server/gateway.js';
import { createLogger, type Logger } from '../../src/log.js';
import type { StatementGate } from '../../src/session/pipeline.js';

export const ROOT = resolve(import.meta.dirname, '../..');

/** The real PostgreSQL the tests use: from the environment, else the local default. */
export const PG = {
  host: process.env.SQLVEIL_TEST_PG_HOST ?? '127.0.0.1',
  port: Number(process.env.SQLVEIL_TEST_PG_PORT ?? 5432),
  user: process.env.SQLVEIL_TEST_PG_USER ?? 'postgres',
  database: process.env.SQLVEIL_TEST_PG_DATABASE ?? 'test',
};
export const PG_URL = `postgres://${PG.user}@${PG.host}:${PG.port}/${PG.database}`;
export const ISSUER = 'https://idp.sqlveil.test/';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a real client program; never through a shell. */
export function run(
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string>; input?: string; timeoutMs?: number; signalAfterMs?: { signal: NodeJS.Signals; ms: number } } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const kill = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    const sig = opts.signalAfterMs && setTimeout(() => child.kill(opts.signalAfterMs!.signal), opts.signalAfterMs.ms);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(kill);
      if (sig) clearTimeout(sig);
      resolvePromise({ code, signal, stdout, stderr });
    });
    // A program that exits before reading its input closes the pipe: that is not a test failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** psql straight to the database, as the superuser (for setup and for checking effects). */
export async function direct(sql: string): Promise<string> {
  const r = await run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-tA', '-h', PG.host, '-p', String(PG.port), '-U', PG.user, '-d', PG.database, '-c', sql]);
  if (r.code !== 0) throw new Error(`direct psql failed: ${r.stderr}`);
  return r.stdout.trim();
}

export async function loadClinicFixture(): Promise<void> {
  const r = await run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', PG.host, '-p', String(PG.port), '-U', PG.user, '-d', PG.database, '-f', join(ROOT, 'test/fixtures/clinic.pg.sql')]);
  if (r.code !== 0) throw new Error(`loading the clinic fixture failed: ${r.stderr}`);
  // The fixture drops and recreates the schema, and its grants with it.
  await ensurePgAgentLogin();
}

/**
 * The upstream login role `agent` uses in a test (rules/hipaa.yaml):
 * - `least-privileged` (the default): its own login, SELECT on the clinic tables and nothing
 *   server-wide (PostgreSQL `sqlveil_agent`, MariaDB `sqlveil_agent`@`%`), and the gateway set to
 *   refuse a superuser login (SQLVEIL_AGENT_SUPERUSER_LOGIN=refuse), as a deployment should run;
 * - `superuser`: the upstream URL's login (postgres, root), the check set to warn, as the
 *   acceptance checks and a careless deployment run: the gateway's own defences must hold alone.
 *
 * An adversarial test file runs both ways with a describe.each over AGENT_LOGINS:
 *
 *   describe.each(AGENT_LOGINS)('attacks as agent (upstream login: %s)', (agentLogin) => {
 *     let gw: TestGateway;
 *     beforeAll(async () => { await loadClinicFixture(); gw = await startGateway({ agentLogin }); });
 *     afterAll(() => gw.stop());
 *     it(...);
 *   });
 *
 * (startMysqlGateway takes the same option.) test/integration/least-privilege.test.ts does so.
 */
export type AgentLogin = 'least-privileged' | 'superuser';
export const AGENT_LOGINS: readonly AgentLogin[] = ['least-privileged', 'superuser'];
/** The least-privileged login of role agent, on PostgreSQL and on MariaDB. */
export const AGENT_UPSTREAM_USER = 'sqlveil_agent';
/** The MariaDB login's password (test only; PostgreSQL here trusts loopback logins). */
export const AGENT_MYSQL_PASSWORD = 'sqlveil-agent-test';

/** The rules/hipaa.yaml variables that put role agent on the chosen upstream login. */
export function agentLoginEnv(login: AgentLogin): Record<string, string> {
  if (login === 'superuser') return { SQLVEIL_AGENT_SUPERUSER_LOGIN: 'warn' };
  return {
    SQLVEIL_PG_AGENT_USER: AGENT_UPSTREAM_USER,
    SQLVEIL_MYSQL_AGENT_USER: AGENT_UPSTREAM_USER,
    SQLVEIL_MYSQL_AGENT_PASSWORD: AGENT_MYSQL_PASSWORD,
    SQLVEIL_AGENT_SUPERUSER_LOGIN: 'refuse',
  };
}

/**
 * Creates the agent's least-privileged PostgreSQL login if missing and grants it SELECT on the
 * clinic schema, now and on what the superuser creates there later (views of a test).
 * Idempotent, and safe when another test process creates the role at the same moment (roles
 * are cluster-wide; the grants are per database).
 */
export async function ensurePgAgentLogin(): Promise<void> {
  await direct(`DO $$ BEGIN
  CREATE ROLE ${AGENT_UPSTREAM_USER} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'clinic') THEN
    GRANT USAGE ON SCHEMA clinic TO ${AGENT_UPSTREAM_USER};
    GRANT SELECT ON ALL TABLES IN SCHEMA clinic TO ${AGENT_UPSTREAM_USER};
    ALTER DEFAULT PRIVILEGES IN SCHEMA clinic GRANT SELECT ON TABLES TO ${AGENT_UPSTREAM_USER};
  END IF;
END $$`);
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => res(port));
    });
  });
}

export interface TestGateway {
  gateway: Gateway;
  port: number;
  adminPort: number;
  dir: string;
  key: DevKey;
  env: Record<string, string>;
  token(subject: string, groups: string[], ttl?: string, extra?: { actor?: string; extraClaims?: Record<string, unknown>; issuer?: string; audience?: string }): Promise<string>;
  /** Environment for libpq clients connecting through the gateway with a token. */
  libpqEnv(token: string): Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts a gateway in this process with rules/hipaa.yaml (or another rules file), pointed at
 * the local PostgreSQL through the SQLVEIL_* variables, exactly as an operator would; role
 * agent logs in upstream as `agentLogin` (see AgentLogin; other rules files ignore it).
 */
export async function startGateway(
  opts: { rules?: string; env?: Record<string, string>; gate?: StatementGate; configure?: (config: GatewayConfig) => void; agentLogin?: AgentLogin; log?: Logger } = {},
): Promise<TestGateway> {
  const agentLogin = opts.agentLogin ?? 'least-privileged';
  if (agentLogin === 'least-privileged') await ensurePgAgentLogin();
  const dir = mkdtempSync(join(tmpdir(), 'sqlveil-it-'));
  const key = await generateDevKey('ES256');
  writeFileSync(join(dir, 'jwks.json'), JSON.stringify(key.publicJwks));
  const port = await freePort();
  const adminPort = await freePort();
  const env: Record<string, string> = {
    SQLVEIL_PG_LISTEN: `127.0.0.1:${port}`,
    SQLVEIL_PG_UPSTREAM: PG_URL,
    SQLVEIL_MYSQL_LISTEN: `127.0.0.1:${await freePort()}`,
    SQLVEIL_JWKS: join(dir, 'jwks.json'),
    SQLVEIL_ISSUER: ISSUER,
    SQLVEIL_AUDIENCE: 'sqlveil',
    SQLVEIL_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
    SQLVEIL_AUDIT_FILE: join(dir, 'audit.jsonl'),
    ...agentLoginEnv(agentLogin),
    ...opts.env,
  };
  const loaded = await loadConfigFile(opts.rules ?? join(ROOT, 'rules/hipaa.yaml'), { ...process.env, ...env });
  if (!loaded.ok) throw new Error(`rules file invalid: ${JSON.stringify(loaded.errors)}`);
  opts.configure?.(loaded.config);
  const gateway = new Gateway(loaded.config, { log: opts.log ?? createLogger(process.env.SQLVEIL_TEST_LOG ?? 'silent'), gate: opts.gate, env: { ...process.env, ...env } });
  await gateway.start();
  return {
    gateway,
    port,
    adminPort,
    dir,
    key,
    env,
    token: (subject, groups, ttl = '10m', extra = {}) =>
      mintDevToken({ privateJwk: key.privateJwk, subject, groups, ttl, issuer: extra.issuer ?? ISSUER, audience: extra.audience ?? 'sqlveil', actor: extra.actor, extraClaims: extra.extraClaims }),
    libpqEnv: (token) => ({ PGPASSWORD: token, PGHOST: '127.0.0.1', PGPORT: String(port), PGDATABASE: PG.database, PGCONNECT_TIMEOUT: '5', PGSSLMODE: 'prefer' }),
    stop: async () => {
      await gateway.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
