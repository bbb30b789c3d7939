// `sqlveil demo`: the gateway in front of an embedded PostgreSQL holding the clinic data, with a
// development key and a token per role, so it can be tried with nothing else installed.
import { parseArgs } from 'node:util';
import { formatBanner } from '../demo/banner.js';
import { demoRulesPath } from '../demo/demo-gateway.js';
import { selfCheck } from '../demo/self-check.js';
import { DEFAULT_DATABASE_PORT, DEFAULT_GATEWAY_PORT, startDemo, type RunningDemo } from '../demo/start-demo.js';
import { parsePort } from '../policy/config/addresses.js';

const demoUsage = `Usage: sqlveil demo [--port N] [--no-wait]

Starts an embedded PostgreSQL (in memory, port ${DEFAULT_DATABASE_PORT} or any free one) loaded with the
clinic example data, and the gateway in front of it (port ${DEFAULT_GATEWAY_PORT} or any free one) with
rules/demo.yaml. Writes a development key to ./.demo/ (reused on the next run) and prints a
ready-to-paste psql command per demo role. Needs no database or other service.

  --port N     gateway port (fails if taken; 0 picks any free port)
  --no-wait    start, print, check one query through the gateway with psql (if installed),
               then stop; exits 1 if the check fails. For CI.
  -h, --help   this help

Development only: the keys and tokens it prints must never protect real data.
`;

export async function runDemo(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { port: { type: 'string' }, 'no-wait': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return usageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) {
    process.stdout.write(demoUsage);
    return 0;
  }
  let gatewayPort: number | undefined;
  if (values.port !== undefined) {
    gatewayPort = values.port === '0' ? 0 : parsePort(values.port);
    if (gatewayPort === undefined) return usageError(`--port must be a number from 0 to 65535, not '${values.port}'`);
  }

  process.stdout.write('sqlveil demo: starting the embedded PostgreSQL and the gateway...\n');
  const demo = await startDemo({ gatewayPort });
  const waiting = !values['no-wait'];
  process.stdout.write(`\n${formatBanner(demo, { cwd: process.cwd(), rulesPath: demoRulesPath(), waiting })}`);
  if (!waiting) return checkAndStop(demo);

  const signal = await untilSignal();
  process.stdout.write(`\nsqlveil demo: ${signal}, stopping\n`);
  await demo.stop();
  return 0;
}

async function checkAndStop(demo: RunningDemo): Promise<number> {
  try {
    const check = await selfCheck(demo);
    process.stdout.write(`\nself-check ${check.outcome}: ${check.detail}\n`);
    return check.outcome === 'failed' ? 1 : 0;
  } finally {
    await demo.stop();
    process.stdout.write('sqlveil demo: stopped\n');
  }
}

/** Resolves on the first SIGINT or SIGTERM; a second one exits at once, for a stop that hangs. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
      process.once('SIGINT', () => process.exit(130)).once('SIGTERM', () => process.exit(143));
      resolve(signal);
    };
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  });
}

function usageError(message: string): number {
  process.stderr.write(`sqlveil demo: ${message}\n\n${demoUsage}`);
  return 2;
}
