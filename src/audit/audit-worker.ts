// The audit trail's thread (see threaded-sink.ts): chains, hashes and stores the events the
// gateway's threads send it, checkpoints the chain, and reports health back.
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { buildAuditTrail } from './create-sink.js';
import type { AuditHealth } from './sink.js';
import type { AuditWorkerData, FromAuditWorker, ToAuditWorker } from './threaded-sink.js';

const port = parentPort;
if (!port) throw new Error('audit-worker.ts runs as a worker thread');
const data = workerData as AuditWorkerData;

const send = (m: FromAuditWorker): void => port.postMessage(m);
const log = pino({ level: data.logLevel, base: null, timestamp: false }, { write: (line: string) => send({ op: 'log', line }) });

const trail = buildAuditTrail(data.config, { instance: data.instance, log }, data.signingKey);
let lastWritable = true;

function report(): AuditHealth {
  const health = trail.health();
  lastWritable = health.writable;
  send({ op: 'health', health });
  return health;
}

const timer = setInterval(report, data.healthIntervalMs);

port.on('message', (m: ToAuditWorker) => {
  if (m.op === 'events') {
    const r = m.records;
    for (let i = 0; i < r.length; i += 3) trail.emitMembers(r[i]!, r[i + 1]!, r[i + 2]!);
    // A change of writability reaches the sessions now, not at the next report.
    if (trail.writable() !== lastWritable) report();
    return;
  }
  clearInterval(timer);
  trail.close().then(
    () => {
      send({ op: 'closed', health: trail.health() });
      port.close();
    },
    (err: unknown) => send({ op: 'failed', error: `audit close failed: ${err instanceof Error ? err.message : String(err)}` }),
  );
});
