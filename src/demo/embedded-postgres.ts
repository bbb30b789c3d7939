// An in-memory PostgreSQL (PGlite, PostgreSQL compiled to WebAssembly) served over TCP, so the
// demo needs no database installed. It is one PostgreSQL backend: pglite-socket multiplexes the
// client connections over it (see MAX_CONNECTIONS).
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { isAddressInUse, type PortChoice } from './ports.js';

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
  /** Connection URL for the gateway's upstream: user postgres, no password, database postgres. */
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
  let server: PGLiteSocketServer | undefined;
  try {
    await db.exec(opts.seedSql);
    // Every client shares this one session: undo the fixture's `SET search_path = clinic`.
    await db.exec('RESET ALL');
    server = await listen(db, opts.host, opts.port);
  } catch (err) {
    await db.close();
    throw err;
  }
  const port = Number(server.getServerConn().split(':').pop());
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

async function listen(db: PGlite, host: string, choice: PortChoice): Promise<PGLiteSocketServer> {
  const port = 'fixed' in choice ? choice.fixed : choice.preferred;
  try {
    return await startServer(db, host, port);
  } catch (err) {
    if ('fixed' in choice || !isAddressInUse(err)) throw describe(err, host, port);
    return startServer(db, host, 0); // a server that failed to listen cannot be restarted: make another
  }
}

async function startServer(db: PGlite, host: string, port: number): Promise<PGLiteSocketServer> {
  const server = new PGLiteSocketServer({ db, host, port, maxConnections: MAX_CONNECTIONS });
  await server.start();
  return server;
}

function describe(err: unknown, host: string, port: number): Error {
  if (isAddressInUse(err)) return new Error(`cannot serve the embedded database on ${host}:${port}: the port is already in use`);
  return err instanceof Error ? err : new Error(String(err));
}
