// Reads stored audit records back, in stream order: every line of a JSON-lines file, or every
// message of the audit topics up to their end at the time of the call (a throw-away consumer group
// that is deleted afterwards).
import { createReadStream } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Logger } from '../log.js';
import { createKafkaClient } from './kafka-client.js';
import type { StoredRecord } from './verify.js';

export type RecordSink = (record: StoredRecord) => void;

export async function readFileRecords(path: string, onRecord: RecordSink): Promise<number> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let n = 0;
  for await (const raw of lines) {
    n++;
    if (raw.trim() === '') continue;
    onRecord({ position: `${path}:${n}`, stream: path, index: n, raw });
  }
  return n;
}

export interface KafkaSourceOptions {
  brokers: string[];
  /** Exact topics; default: every topic starting with `${topicPrefix}.audit.`. */
  topics?: string[];
  topicPrefix?: string;
  clientId?: string;
  log?: Logger;
  /** Give up when no message arrives for this long while some are still expected (default 30 s). */
  idleTimeoutMs?: number;
}

export async function auditTopics(opts: KafkaSourceOptions): Promise<string[]> {
  if (opts.topics && opts.topics.length > 0) return opts.topics;
  const kafka = createKafkaClient({ brokers: opts.brokers, clientId: opts.clientId ?? 'sqlveil-reader', log: opts.log });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const prefix = `${opts.topicPrefix ?? 'sqlveil'}.audit.`;
    return (await admin.listTopics()).filter((t) => t.startsWith(prefix)).sort();
  } finally {
    await admin.disconnect();
  }
}

/** Reads each partition from its first to its last offset as of now; resolves with the number of messages. */
export async function readKafkaRecords(opts: KafkaSourceOptions, onRecord: RecordSink): Promise<number> {
  const topics = await auditTopics(opts);
  if (topics.length === 0) return 0;
  const kafka = createKafkaClient({ brokers: opts.brokers, clientId: opts.clientId ?? 'sqlveil-reader', log: opts.log });
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `sqlveil-reader-${randomUUID()}`;
  try {
    const ends = new Map<string, bigint>();
    for (const topic of topics) {
      for (const o of await admin.fetchTopicOffsets(topic)) {
        if (BigInt(o.high) > BigInt(o.low)) ends.set(`${topic}/${o.partition}`, BigInt(o.high));
      }
    }
    if (ends.size === 0) return 0;
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250, allowAutoTopicCreation: false });
    await consumer.connect();
    let n = 0;
    let idle: NodeJS.Timeout | undefined;
    try {
      await consumer.subscribe({ topics, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const idleMs = opts.idleTimeoutMs ?? 30_000;
        idle = setTimeout(() => reject(new Error(`no audit message for ${idleMs} ms; still waiting for ${[...ends.keys()].join(', ')}`)), idleMs);
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              const stream = `${batch.topic}/${batch.partition}`;
              const end = ends.get(stream);
              if (end === undefined) return;
              for (const m of batch.messages) {
                const offset = BigInt(m.offset);
                if (offset >= end) break;
                n++;
                onRecord({ position: `${stream}@${m.offset}`, stream, index: Number(m.offset), raw: m.value?.toString('utf8') ?? '' });
                if (offset >= end - 1n) {
                  ends.delete(stream);
                  break;
                }
              }
              clearTimeout(idle);
              if (ends.size === 0) resolve();
              else idle = setTimeout(() => reject(new Error(`no audit message for ${idleMs} ms; still waiting for ${[...ends.keys()].join(', ')}`)), idleMs);
            },
          })
          .catch(reject);
      });
    } finally {
      clearTimeout(idle);
      await consumer.disconnect();
    }
    return n;
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}
