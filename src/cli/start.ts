// `sqlveil start --config FILE`: validate the rules file, then run the gateway until a signal.
import { parseArgs } from 'node:util';
import { loadConfigFile } from '../policy/config/load.js';
import { Gateway } from '../server/gateway.js';
import { createLogger } from '../log.js';
import { formatIssue } from './format-issue.js';

export async function runStart(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help || !values.config) {
    process.stderr.write('Usage: sqlveil start --config FILE\n');
    return values.help ? 0 : 2;
  }
  const loaded = await loadConfigFile(values.config);
  if (!loaded.ok) {
    for (const issue of loaded.errors) process.stderr.write(formatIssue(values.config, issue) + '\n');
    process.stderr.write(`sqlveil start: ${values.config} is invalid (${loaded.errors.length} error${loaded.errors.length === 1 ? '' : 's'}); not starting\n`);
    return 1;
  }
  const log = createLogger();
  for (const w of loaded.warnings) log.warn({ path: w.path, line: w.line }, w.message);
  // Signals are taken before the listeners bind: a SIGTERM that arrives while the gateway starts
  // (a client may already connect) stops it cleanly once started, instead of killing it.
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'stopping');
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  const gateway = new Gateway(loaded.config, { log, watchRules: true });
  // SIGHUP re-reads the rules file, as operators expect of a daemon (and never kills it).
  process.on('SIGHUP', () => void gateway.reloadPolicy());
  await gateway.start();
  await stopped;
  await gateway.stop();
  return 0;
}
