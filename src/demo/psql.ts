// Runs the real psql client against the gateway, for the demo's self-check. Never via a shell:
// the token goes in the environment, not on a command line.
import { spawn } from 'node:child_process';

export interface PsqlTarget {
  host: string;
  port: number;
  user: string;
  token: string;
}

export type PsqlResult = { ran: false } | { ran: true; code: number | null; stdout: string; stderr: string };

/** `psql -tA -c SQL` as `user` with the token as its password; `{ ran: false }` when psql is not installed. */
export function runPsql(target: PsqlTarget, sql: string, timeoutMs = 15_000): Promise<PsqlResult> {
  const conninfo = `host=${target.host} port=${target.port} dbname=postgres user=${target.user} connect_timeout=5`;
  return new Promise((resolve, reject) => {
    const child = spawn('psql', ['-X', '-w', '-q', '-tA', '-v', 'ON_ERROR_STOP=1', '-d', conninfo, '-c', sql], {
      env: { ...withoutLibpqSettings(process.env), PGPASSWORD: target.token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === 'ENOENT') resolve({ ran: false });
      else reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ ran: true, code, stdout, stderr });
    });
  });
}

/** The caller's PG* variables (PGSSLMODE=require, PGSERVICE, ...) would change what we test. */
function withoutLibpqSettings(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('PG')));
}
