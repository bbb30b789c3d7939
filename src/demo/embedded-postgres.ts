// An in-memory PostgreSQL (PGlite, PostgreSQL compiled to WebAssembly) served over TCP, so the
// demo needs no database installed. It is one PostgreSQL backend: pglite-socket's connection
// handlers multiplex the client connections over it (see MAX_CONNECTIONS), each running as the
// user it logs in as (pglite-sessions.ts).
import net from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketHandler, type PGLiteSocketHandlerOptions } from '@electric-sql/pglite-socket';
import { isAddressInUse, type PortChoice } from './ports.js';
import { PgliteSessionQueue } from './pglite-sessions.js';

/** The demo agent's upstream login: SELECT on the clinic schema, nothing more (rules/demo.yaml). */
export const DEMO_AGENT_LOGIN = 'sqlveil_agent';

/** Least privilege upstream: the agent's login reads the clinic tables and can do nothing else. */
const AGENT_LOGIN_SQL = `CREATE ROLE ${DEMO_AGENT_LOGIN} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
GRANT USAGE ON SCHEMA clinic TO ${DEMO_AGENT_LOGIN};
GRANT SELECT ON ALL TABLES IN SCHEMA clinic TO ${DEMO_AGENT_LOGIN};
ALTER DEFAULT PRIVILEGES IN SCHEMA clinic GRANT SELECT ON TABLES TO ${DEMO_AGENT_LOGIN};`;

/**
 * pglite-socket accepts one connection by default; the gateway opens one upstream connection per
 * client session, so allow a few (an agent and a DBA side by side, a retry). They share one
 * backend session: settings, temporary tables and prepared statements are visible to all, and a
 * transaction in one makes the others wait until it ends.
 */
export const MAX_CONNECTIONS = 8;

export interface EmbeddedPostgres {
  host: string;
  port: number;
  /** Connection URL for the gateway's upstream: user postgres (any user may log in), no password, database postgres. */
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  host: string;
  port: PortChoice;
  /** Multi-statement SQL run once before serving (the clinic fixture). */
  seedSql: string;
}

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const db = await PGlite.create(); // no data directory: in memory, gone when the demo stops
  let server: SessionServer | undefined;
  try {
    await db.exec(opts.seedSql);
    await db.exec(AGENT_LOGIN_SQL);
    // Every client shares this one session: undo the fixture's `SET search_path = clinic`.
    await db.exec('RESET ALL');
    server = await listen(db, opts.host, opts.port);
  } catch (err) {
    await db.close();
    throw err;
  }
  const port = server.port;
  const running = server;
  return {
    host: opts.host,
    port,
    url: `postgres://postgres@${opts.host}:${port}/postgres`,
    stop: async () => {
      await running.stop();
      // stop() detaches its connections without waiting; let a pending ROLLBACK run before closing.
      await new Promise((resolve) => setImmediate(resolve));
      await db.close();
    },
  };
}

async function listen(db: PGlite, host: string, choice: PortChoice): Promise<SessionServer> {
  const port = 'fixed' in choice ? choice.fixed : choice.preferred;
  const queue = new PgliteSessionQueue(db);
  try {
    return await startServer(queue, host, port);
  } catch (err) {
    if ('fixed' in choice || !isAddressInUse(err)) throw describe(err, host, port);
    return startServer(queue, host, 0);
  }
}

interface SessionServer {
  port: number;
  stop(): Promise<void>;
}

/** pglite-socket's server, but with the session-aware queue (its own queue is not replaceable). */
function startServer(queue: PgliteSessionQueue, host: string, port: number): Promise<SessionServer> {
  const handlers = new Set<PGLiteSocketHandler>();
  const server = net.createServer((socket) => {
    // Same shape as pglite-socket's queue: enqueue, clearQueueForHandler, clearTransactionIfNeeded.
    const handler = new PGLiteSocketHandler({ queryQueue: queue as unknown as PGLiteSocketHandlerOptions['queryQueue'], closeOnDetach: true });
    handlers.add(handler);
    const forget = () => handlers.delete(handler);
    handler.addEventListener('close', forget);
    handler.addEventListener('error', forget);
    handler.attach(socket).catch(() => {
      forget();
      socket.destroy();
    });
  });
  server.maxConnections = MAX_CONNECTIONS;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as net.AddressInfo).port,
        stop: () => {
          for (const h of handlers) void h.detach(true);
          handlers.clear();
          return new Promise((done) => server.close(() => done()));
        },
      });
    });
  });
}

function describe(err: unknown, host: string, port: number): Error {
  if (isAddressInUse(err)) return new Error(`cannot serve the embedded database on ${host}:${port}: the port is already in use`);
  return err instanceof Error ? err : new Error(String(err));
}
