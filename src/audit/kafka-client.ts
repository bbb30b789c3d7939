// The kafkajs client the audit sink and the readers share: kafkajs' own log lines go to pino at
// warn and above, without the retriable noise a restarting broker causes.
import { Kafka, logLevel, type logCreator } from 'kafkajs';
import type { Logger } from '../log.js';

// Retried by kafkajs or by the sink itself; the sink logs outages once in its own words.
const EXPECTED = /coordinator is (loading|not available)|not the (correct )?coordinator|no leader|leader(ship)? (is )?not available|Limiting retries|Connection error|ECONNREFUSED|Connection timeout|Request .* timed out|broker .* disconnected|Failed to connect|rebalanc|Restarting the consumer|Crash: KafkaJSNumberOfRetriesExceeded/i;

export function kafkaLogCreator(log: Logger | undefined): logCreator {
  return () =>
    ({ namespace, level, log: entry }) => {
      if (!log || level > logLevel.WARN) return;
      const text = `${String(entry.message ?? '')} ${entry.error ? String(entry.error) : ''}`.trim();
      if (EXPECTED.test(text)) return;
      log.warn({ kafkajs: namespace }, `kafkajs: ${text}`);
    };
}

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  log?: Logger;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

export function createKafkaClient(opts: KafkaClientOptions): Kafka {
  return new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(opts.log),
    connectionTimeout: opts.connectionTimeoutMs ?? 3000,
    requestTimeout: opts.requestTimeoutMs ?? 10_000,
    // Fail a send within seconds when the broker is gone: the sink spools and retries itself.
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
  });
}
