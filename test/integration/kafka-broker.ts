// A real Kafka broker for integration tests: reuses one on 127.0.0.1:${SQLVEIL_KAFKA_PORT:-9092}
// (e.g. from `npm run services:up`), else starts one with scripts/kafka.mjs (jars cached in
// .cache/kafka). See docs/kafka.md.
import { kafkaDown, kafkaUp, type KafkaOptions } from '../../scripts/kafka.mjs';

export interface TestKafka {
  /** For kafkajs' `brokers`, e.g. ['127.0.0.1:9092']. */
  brokers: string[];
  /** True when this call started the broker; false when it reused one already running. */
  startedHere: boolean;
  /** Stops the broker if this call started it; otherwise does nothing. */
  stop(): Promise<void>;
}

/** Allow this long for a hook that calls ensureKafka(): the first run fetches the jars with Maven. */
export const KAFKA_HOOK_TIMEOUT_MS = 180_000;

export async function ensureKafka(opts: Pick<KafkaOptions, 'port' | 'log'> = {}): Promise<TestKafka> {
  const up = await kafkaUp(opts);
  let stopped = false;
  return {
    brokers: up.brokers,
    startedHere: up.startedHere,
    async stop() {
      if (!up.startedHere || stopped) return;
      stopped = true;
      await kafkaDown(opts);
    },
  };
}
