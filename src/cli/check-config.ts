// `sqlveil check-config FILE`: validates a rules file and prints every problem as
// FILE:LINE:COL: PATH: MESSAGE, the shape editors and CI logs link to.
import type { ConfigIssue } from '../policy/config/issues.js';
import { loadConfigFile } from '../policy/config/load.js';

const usage = `Usage: sqlveil check-config FILE

Validates a rules file (YAML syntax, \${VAR} interpolation from the current environment, schema,
references, addresses, and the files it names) and prints every problem with its path and line.
Exit status: 0 valid, 1 invalid, 2 usage error.
`;

export async function runCheckConfig(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(usage);
    return 0;
  }
  const [file, ...extra] = args;
  if (file === undefined || extra.length > 0 || file.startsWith('-')) {
    process.stderr.write(usage);
    return 2;
  }

  const result = await loadConfigFile(file);
  if (!result.ok) {
    for (const error of result.errors) process.stderr.write(`${formatIssue(file, error)}\n`);
    const count = result.errors.length;
    process.stderr.write(`${file}: ${count} error${count === 1 ? '' : 's'}\n`);
    return 1;
  }
  for (const warning of result.warnings) process.stderr.write(`${formatIssue(file, warning, 'warning')}\n`);
  const { listeners, upstreams, roles } = result.config;
  const counts = [plural(listeners.length, 'listener'), plural(upstreams.length, 'upstream'), plural(roles.length, 'role')];
  process.stdout.write(`${file}: ok (${counts.join(', ')})\n`);
  return 0;
}

/** `FILE:LINE:COL: [warning: ]PATH: MESSAGE`; parts that are unknown are left out. */
export function formatIssue(file: string, issue: ConfigIssue, severity?: 'warning'): string {
  const where = issue.line === undefined ? file : `${file}:${issue.line}:${issue.column ?? 1}`;
  const kind = severity ? `${severity}: ` : '';
  const path = issue.path === '' ? '' : `${issue.path}: `;
  return `${where}: ${kind}${path}${issue.message}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
