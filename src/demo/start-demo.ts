// Everything `sqlveil demo` runs, in the order it starts: the embedded clinic
// database, the development key, the gateway in front of it, and a token per demo user.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger, type Logger } from '../log.js';
import type { Gateway } from '../server/gateway.js';
import { DEMO_DIR, ensureDemoKey } from './demo-key.js';
import { startDemoGateway } from './demo-gateway.js';
import { mintDemoTokens, type DemoToken } from './demo-users.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js';
import { packageRoot } from './package-root.js';
import { choosePort, type PortChoice } from './ports.js';

export const DEMO_HOST = '127.0.0.1';
export const DEFAULT_GATEWAY_PORT = 6432;
export const DEFAULT_DATABASE_PORT = 5499;

export interface DemoOptions {
  /** Where `.demo/` (key, audit log) goes; default: the current directory. */
  workDir?: string;
  /** Gateway port; taken is an error, 0 means any free port. Default: 6432, or any free port if taken. */
  gatewayPort?: number;
  /** Embedded database port, same rules. Default: 5499, or any free port if taken. */
  databasePort?: number;
  log?: Logger;
}

export interface RunningDemo {
  gateway: { host: string; port: number };
  database: { host: string; port: number; url: string };
  tokens: DemoToken[];
  files: { dir: string; privateKey: string; jwks: string; audit: string; keyCreated: boolean };
  /** From the call to the gateway listening, in milliseconds. */
  startupMs: number;
  /** Stops the gateway and the database, ending open sessions. Safe to call more than once. */
  stop(): Promise<void>;
}

export async function startDemo(opts: DemoOptions = {}): Promise<RunningDemo> {
  const started = performance.now();
  const workDir = opts.workDir ?? process.cwd();
  const log = opts.log ?? createLogger('warn');
  let database: EmbeddedPostgres | undefined;
  let gateway: Gateway | undefined;
  // Gateway.stop() closes its listening socket first and waits for client sessions to end before
  // closing them, so an open psql would hold it. Start it (no new clients), stop the database,
  // which ends every upstream connection and so every session, then let it finish.
  const stopAll = async () => {
    const gatewayStopped = gateway?.stop();
    gateway = undefined;
    await database?.stop();
    database = undefined;
    await gatewayStopped;
  };

  try {
    const seedSql = await readFile(join(packageRoot(), 'test', 'fixtures', 'clinic.pg.sql'), 'utf8');
    database = await startEmbeddedPostgres({ host: DEMO_HOST, port: portChoice(opts.databasePort, DEFAULT_DATABASE_PORT), seedSql });

    const key = await ensureDemoKey(workDir);
    const audit = join(workDir, DEMO_DIR, 'audit.jsonl');
    const port = await choosePort(DEMO_HOST, portChoice(opts.gatewayPort, DEFAULT_GATEWAY_PORT));
    gateway = await startDemoGateway({ host: DEMO_HOST, port, upstreamUrl: database.url, jwksPath: key.jwksPath, auditPath: audit, log });

    const tokens = await mintDemoTokens(key.privateJwk);
    const bound = gateway.listeners[0]?.address;
    if (!bound) throw new Error('the demo gateway started no listener (check rules/demo.yaml)');
    let stopping: Promise<void> | undefined;
    return {
      gateway: { host: DEMO_HOST, port: bound.port },
      database: { host: database.host, port: database.port, url: database.url },
      tokens,
      files: { dir: join(workDir, DEMO_DIR), privateKey: key.privateKeyPath, jwks: key.jwksPath, audit, keyCreated: key.created },
      startupMs: performance.now() - started,
      stop: () => (stopping ??= stopAll()),
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

function portChoice(port: number | undefined, preferred: number): PortChoice {
  return port === undefined ? { preferred } : { fixed: port };
}
