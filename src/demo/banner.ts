// What `sqlveil demo` prints once everything runs: where things are, how to connect, what to try.
import { isAbsolute, relative } from 'node:path';
import { MAX_CONNECTIONS } from './embedded-postgres.js';
import { DEMO_ISSUER } from './demo-gateway.js';
import { DEMO_TOKEN_TTL } from './demo-users.js';
import type { RunningDemo } from './start-demo.js';

export const TRY_STATEMENTS = ['select * from clinic.clinics;', 'select full_name, ssn from clinic.patients limit 5;', '\\dt clinic.*'];

export function psqlCommand(demo: RunningDemo, user: string, token: string): string {
  // A JWT is base64url and dots only: single quotes are enough for any POSIX shell.
  return `PGPASSWORD='${token}' psql "host=${demo.gateway.host} port=${demo.gateway.port} dbname=postgres user=${user}"`;
}

export function formatBanner(demo: RunningDemo, opts: { cwd: string; rulesPath: string; waiting: boolean }): string {
  const show = (path: string) => shortPath(opts.cwd, path);
  const first = demo.tokens[0]?.user;
  const lines = [
    `sqlveil demo is running (ready in ${(demo.startupMs / 1000).toFixed(1)}s)`,
    '',
    `  gateway    ${demo.gateway.host}:${demo.gateway.port}  PostgreSQL protocol, rules ${show(opts.rulesPath)}`,
    `  database   ${demo.database.host}:${demo.database.port}  embedded PostgreSQL (PGlite, in memory) with the clinic schema`,
    `  audit log  ${show(demo.files.audit)}`,
    `  keys       ${show(demo.files.jwks)} and ${show(demo.files.privateKey)} (${demo.files.keyCreated ? 'new' : 'reused'})`,
  ];
  for (const { user, token } of demo.tokens) {
    lines.push('', `Connect as ${user.subject}, ${user.description} (group ${user.groups.join(', ')} -> role ${user.role}):`, `  ${psqlCommand(demo, user.subject, token)}`);
  }
  lines.push('', 'Then try:', ...TRY_STATEMENTS.map((s) => `  ${s}`));
  if (first) {
    lines.push(
      '',
      `These tokens last ${DEMO_TOKEN_TTL}. Mint more with:`,
      `  sqlveil token --key ${show(demo.files.privateKey)} --sub ${first.subject} --groups ${first.groups.join(',')} --issuer ${DEMO_ISSUER}`,
    );
  }
  lines.push(
    '',
    `The embedded database is a single PostgreSQL session shared by up to ${MAX_CONNECTIONS} connections:`,
    'settings and temporary tables are shared, and an open transaction makes other sessions wait.',
    'The keys and tokens are for development only: never use them with real data.',
  );
  if (opts.waiting) lines.push('Press Ctrl-C to stop.');
  return `${lines.join('\n')}\n`;
}

/** `.demo/audit.jsonl` when under the working directory, else the absolute path. */
function shortPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
