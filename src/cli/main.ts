// The `sqlveil` command: dispatches to one module per subcommand.
import { usage } from './usage.js';

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  start: async () => (await import('./start.js')).runStart,
  'check-config': async () => (await import('./check-config.js')).runCheckConfig,
  token: async () => (await import('./token.js')).runToken,
  keygen: async () => (await import('./keygen.js')).runKeygen,
  demo: async () => (await import('./demo.js')).runDemo,
  audit: async () => (await import('./audit-command.js')).runAudit,
  sessions: async () => (await import('./sessions-command.js')).runSessions,
  approvals: async () => (await import('./approvals.js')).runApprovals,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage);
    return name === undefined ? 2 : 0;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`sqlveil: unknown command '${name}'\n\n${usage}`);
    return 2;
  }
  try {
    return await (await load())(rest);
  } catch (err) {
    process.stderr.write(`sqlveil ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
