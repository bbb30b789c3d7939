// Which topic an event goes to and under which key: a session's events share a key, so they stay
// in order on one partition; checkpoints go to every topic, so a reader of one topic sees them too.
import type { AuditKafkaConfig } from '../policy/config/types.js';
import { isCheckpoint, NO_SESSION, type StoredEvent } from './event.js';

export type AuditTopics = AuditKafkaConfig['topics'];

export function defaultTopics(prefix: string): AuditTopics {
  return { sessions: `${prefix}.audit.sessions`, statements: `${prefix}.audit.statements`, approvals: `${prefix}.audit.approvals` };
}

export function topicsFor(event: Pick<StoredEvent, 'type'>, topics: AuditTopics): string[] {
  if (isCheckpoint(event)) return [topics.sessions, topics.statements, topics.approvals];
  if (event.type.startsWith('statement') || event.type.startsWith('result.')) return [topics.statements];
  if (event.type.startsWith('approval.')) return [topics.approvals];
  return [topics.sessions];
}

/** The message key: the session id, or the instance for events of no session. */
export function keyFor(event: Pick<StoredEvent, 'session' | 'instance'>): string {
  return event.session === NO_SESSION ? event.instance : event.session;
}
