// Where the audit CLI commands read from: --file F (JSON lines) or --brokers B (the topics).
import type { RecordSink } from '../audit/record-source.js';
import { readFileRecords, readKafkaRecords } from '../audit/record-source.js';
import { createLogger } from '../log.js';

export const sourceOptions = {
  brokers: { type: 'string' },
  file: { type: 'string' },
  'topic-prefix': { type: 'string', default: 'sqlveil' },
  topics: { type: 'string' },
} as const;

export interface SourceValues {
  brokers?: string;
  file?: string;
  'topic-prefix'?: string;
  topics?: string;
}

/** What to say in messages: the file, or the brokers and prefix. */
export function describeSource(v: SourceValues): string {
  return v.file ?? `${v.brokers} (${v.topics ?? `${v['topic-prefix'] ?? 'sqlveil'}.audit.*`})`;
}

export function checkSource(v: SourceValues): string | undefined {
  if (!v.file && !v.brokers) return 'give --brokers host:port[,host:port] or --file FILE';
  if (v.file && v.brokers) return 'give either --brokers or --file, not both';
  return undefined;
}

export function readSource(v: SourceValues, onRecord: RecordSink): Promise<number> {
  if (v.file) return readFileRecords(v.file, onRecord);
  const list = (s: string | undefined) => (s ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');
  return readKafkaRecords(
    { brokers: list(v.brokers), topics: list(v.topics), topicPrefix: v['topic-prefix'], log: createLogger(process.env.SQLVEIL_LOG_LEVEL ?? 'warn').child({ cli: 'audit' }) },
    onRecord,
  );
}

/** `sqlveil sessions list | head`: a reader that stops early is not an error. */
let pipeWatched = false;
export function exitQuietlyOnClosedPipe(): void {
  if (pipeWatched) return;
  pipeWatched = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}
