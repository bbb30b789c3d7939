// The audit trail's thread (see threaded-sink.ts): chains, hashes and stores the events the
// gateway's threads send it, checkpoints the chain, and reports health back.
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import type { AuditHealth } from './sink.js';
import type { AuditWorkerData, FromAuditWorker, ToAuditWorker } from './threaded-sink.js';
import type { AuditTransport } from './trail.js';
import { fileTransport, kafkaTransportOptions, trailOver } from './trail-setup.js';

const port = parentPort;
if (!port) throw new Error('audit-worker.ts runs as a worker thread');
const data = workerData as AuditWorkerData;
const config = data.config;

const send = (m: FromAuditWorker): void => port.postMessage(m);
const log = pino({ level: data.logLevel, base: null, timestamp: false }, { write: (line: string) => send({ op: 'log', line }) });

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
