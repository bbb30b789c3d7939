// `audit`, `admin` and `limits`: the gateway's own outputs and bounds.
import { dirname, join } from 'node:path';
import { parseHostPort } from './addresses.js';
import type { BuildContext } from './build-context.js';
import type { RawAudit, RawConfig } from './raw.js';
import type { AdminConfig, AuditConfig, GatewayConfig } from './types.js';

export function buildAudit(raw: RawAudit | undefined, ctx: BuildContext): AuditConfig {
  const file = ctx.resolve(raw?.file ?? 'sqlveil-audit.jsonl');
  const audit: AuditConfig = {
    file,
    onFailure: raw?.onFailure ?? 'block',
    checkpointIntervalMs: raw?.checkpointIntervalMs ?? 10_000,
    redactLiterals: raw?.redactLiterals ?? true,
    // Beside the audit file unless set: both are the gateway's own state.
    spool: { dir: raw?.spool?.dir ? ctx.resolve(raw.spool.dir) : join(dirname(file), 'audit-spool'), maxBytes: raw?.spool?.maxBytes ?? 1024 ** 3 },
  };
  // An empty value (an unset `${VAR:-}`) means unsigned checkpoints.
  if (raw?.signingKey) audit.signingKey = ctx.resolve(raw.signingKey);
  const kafka = raw?.kafka;
  if (!kafka || !ctx.usable(['audit', 'kafka', 'brokers'])) return audit;

  // A list, or one comma-separated string (what an environment variable can hold).
  const entries: { text: string; path: (string | number)[] }[] =
    typeof kafka.brokers === 'string'
      ? kafka.brokers
          .split(',')
          .map((text) => ({ text: text.trim(), path: ['audit', 'kafka', 'brokers'] }))
          .filter((entry) => entry.text !== '')
      : kafka.brokers.map((text, i) => ({ text: text.trim(), path: ['audit', 'kafka', 'brokers', i] }));
  if (entries.length === 0) return audit;

  for (const entry of entries) {
    const address = parseHostPort(entry.text);
    if (!address.ok) ctx.log.error(entry.path, `Kafka broker ${address.message}`);
  }
  const topicPrefix = kafka.topicPrefix ?? 'sqlveil';
  audit.kafka = {
    brokers: entries.map((entry) => entry.text),
    topicPrefix,
    clientId: kafka.clientId ?? 'sqlveil',
    topics: {
      sessions: kafka.topics?.sessions ?? `${topicPrefix}.audit.sessions`,
      statements: kafka.topics?.statements ?? `${topicPrefix}.audit.statements`,
      approvals: kafka.topics?.approvals ?? `${topicPrefix}.audit.approvals`,
    },
    partitions: kafka.partitions ?? 3,
    lingerMs: kafka.lingerMs ?? 20,
    batchSize: kafka.batchSize ?? 2000,
  };
  return audit;
}

/** An empty `listen` (e.g. an unset `${VAR:-}`) turns the admin endpoint off. */
export function buildAdmin(raw: RawConfig['admin'], ctx: BuildContext): AdminConfig | undefined {
  if (!raw || raw.listen === '' || !ctx.usable(['admin', 'listen'])) return undefined;
  const address = parseHostPort(raw.listen, { ephemeral: true });
  if (!address.ok) {
    ctx.log.error(['admin', 'listen'], address.message);
    return undefined;
  }
  return { host: address.host, port: address.port };
}

export function buildLimits(raw: RawConfig['limits']): GatewayConfig['limits'] {
  return {
    maxClientMessageBytes: raw?.maxClientMessageBytes ?? 64 * 1024 * 1024,
    startupTimeoutMs: raw?.startupTimeoutMs ?? 10_000,
  };
}
