// The audit trail's thread (see threaded-sink.ts): chains, hashes and stores the events the
// gateway's threads send it, checkpoints the chain, and reports health back.
import { parentPort, workerData } from 'node:worker_threads';
import type { Logger } from '../log.js';
import type { AuditWorkerData, FromAuditWorker, ToAuditWorker } from './threaded-sink.js';
import type { AuditTransport } from './trail.js';
import { fileTransport, kafkaTransportOptions, trailOver } from './trail-setup.js';

const port = parentPort;
if (!port) throw new Error('audit-worker.ts runs as a worker thread');
const data = workerData as AuditWorkerData;
const config = data.config;

const send = (m: FromAuditWorker): void => port.postMessage(m);
const log = forwardingLogger(data.logLevel);

// kafkajs is loaded only when brokers are configured.
let transport: AuditTransport;
if (config.kafka) {
  const { KafkaTransport } = await import('./kafka-transport.js');
  transport = new KafkaTransport(kafkaTransportOptions({ ...config, kafka: config.kafka }, { log }));
} else {
  transport = fileTransport(config);
}
const trail = trailOver(transport, config, data.instance, data.signingKey, log);
let lastWritable = true;

function report(): void {
  const health = trail.health();
  lastWritable = health.writable;
  send({ op: 'health', health });
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

/**
 * The transports' logger on this thread: each line goes to the gateway's thread, which logs it
 * with its own logger (ThreadedAuditSink.relayLog). Not pino: pino would cost this thread about
 * 5 MB, for the few lines a transport writes (state changes, failures).
 */
function forwardingLogger(level: string): Logger {
  const levels: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
  const min = levels[level] ?? Infinity;
  const at = (n: number) => (a?: unknown, b?: unknown): void => {
    if (n < min) return;
    const [fields, msg] = typeof a === 'string' ? [{}, a] : [a ?? {}, b];
    send({ op: 'log', line: JSON.stringify({ ...(fields as object), level: n, msg }) });
  };
  const logger = { level, trace: at(10), debug: at(20), info: at(30), warn: at(40), error: at(50), fatal: at(60), child: () => logger };
  return logger as unknown as Logger;
}
