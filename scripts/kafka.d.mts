// Types for scripts/kafka.mjs (plain JS so it runs before any build), for TypeScript importers such
// as test/integration/kafka-broker.ts.

export declare const KAFKA_VERSION: string;
export declare const KAFKA_HOST: string;
/** The repository root (the parent of scripts/). */
export declare const ROOT: string;

export interface KafkaOptions {
  /** Broker port on 127.0.0.1; default SQLVEIL_KAFKA_PORT or 9092. */
  port?: number;
  /** Default `<repo>/.cache/kafka`. */
  cacheDir?: string;
  /** Where the jars go; default `<cacheDir>/libs`. */
  libsDir?: string;
  /** Config, data, pid file and log; default `<cacheDir>/run`. */
  runDir?: string;
  /** Progress lines (the CLI prints them); default: silent. */
  log?: (line: string) => void;
  /** How long `up` waits for the broker to serve metadata; default 60 000 ms. */
  timeoutMs?: number;
}

export interface KafkaPaths {
  host: string;
  port: number;
  cacheDir: string;
  libsDir: string;
  runDir: string;
  pidFile: string;
  logFile: string;
  configFile: string;
  log4jFile: string;
  dataDir: string;
}

export interface KafkaUpResult {
  /** `['127.0.0.1:<port>']`, for kafkajs' `brokers`. */
  brokers: string[];
  /** Our broker's pid, or null for a broker this script did not start. */
  pid: number | null;
  /** True when this call started the broker (false when it reused one that already answered). */
  startedHere: boolean;
}

export interface KafkaDownResult {
  stopped: boolean;
  /** A broker answers on the port but this script did not start it, so it was left alone. */
  refused: boolean;
  message: string;
}

export interface KafkaStatusResult {
  /** A Kafka ApiVersions response came back from 127.0.0.1:port. */
  answering: boolean;
  /** The pid file names a live broker started by this script. */
  ours: boolean;
  pid: number | null;
  port: number;
  message: string;
}

export declare function kafkaPaths(opts?: KafkaOptions): KafkaPaths;
/** 'kafka': answers ApiVersions; 'free': connection refused; 'other': something else listens. */
export declare function probeKafka(port: number, host?: string, timeoutMs?: number): Promise<'kafka' | 'free' | 'other'>;
/** The pid in the pid file if it is a live broker started by this script with this run dir's config. */
export declare function ourBrokerPid(opts?: KafkaOptions): number | null;
/** Throws a clear error unless Java 17+ runs; returns the java command. */
export declare function checkJava(): string;
/** Fetches the broker's jars with Maven (once per test/kafka/pom.xml content); returns the directory. */
export declare function ensureJars(opts?: KafkaOptions): Promise<string>;
export declare function kafkaUp(opts?: KafkaOptions): Promise<KafkaUpResult>;
export declare function kafkaDown(opts?: KafkaOptions): Promise<KafkaDownResult>;
export declare function kafkaStatus(opts?: KafkaOptions): Promise<KafkaStatusResult>;
/** Best effort: starts the local PostgreSQL and MariaDB if installed but stopped; one line each. */
export declare function startLocalDatabases(log?: (line: string) => void): Promise<void>;
