// A query the gateway runs for itself on an upstream connection it has just logged in, before
// the client's traffic is relayed: the server's own answer to what the session's state is
// (its effective search path, say), instead of a guess from what the client asked for.
import type net from 'node:net';
import { serialize, type DatabaseError } from 'pg-protocol';
import { Parser } from 'pg-protocol/dist/parser.js';
import type { BackendMessage } from 'pg-protocol/dist/messages.js';

/** Runs one simple query and resolves with its rows as text (NULL as null), up to ReadyForQuery. */
export function queryRows(socket: net.Socket, sql: string, timeoutMs: number): Promise<(string | null)[][]> {
  return new Promise((resolve, reject) => {
    const parser = new Parser();
    const rows: (string | null)[][] = [];
    let error: Error | undefined;
    const done = (err?: Error) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (err) reject(err);
      else resolve(rows);
    };
    const onMessage = (msg: BackendMessage) => {
      if (msg.name === 'dataRow') rows.push((msg as unknown as { fields: (string | null)[] }).fields);
      else if (msg.name === 'error') error = new Error(`upstream refused the gateway's query: ${(msg as DatabaseError).message}`);
      else if (msg.name === 'readyForQuery') done(error);
    };
    const onData = (chunk: Buffer) => {
      try {
        parser.parse(chunk, onMessage);
      } catch (err) {
        done(err instanceof Error ? err : new Error(String(err)));
      }
    };
    const onClose = () => done(new Error('upstream closed the connection during the gateway query'));
    const timer = setTimeout(() => done(new Error(`the gateway's query timed out after ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.write(serialize.query(sql));
  });
}
