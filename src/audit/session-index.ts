// Recorded sessions, rebuilt from stored events: filter by identity, time, table and decision;
// replay one as a transcript; export events as JSON lines or CSV. Events are deduplicated by
// (instance, seq), so a trail read from several topics, or with a duplicate, lists each once.
import { isCheckpoint, type ChainedEvent } from './event.js';

export interface SessionFilter {
  /** Token subject, or the actor acting for it. */
  subject?: string;
  role?: string;
  group?: string;
  since?: Date;
  until?: Date;
  /** A statement of the session touched this table (`schema.table` or just `table`). */
  table?: string;
  /** A statement of the session had this decision. */
  decision?: string;
}

export interface SessionRecord {
  id: string;
  start?: ChainedEvent;
  end?: ChainedEvent;
  events: ChainedEvent[];
}

type Loose = ChainedEvent & Record<string, unknown>;

export class SessionIndex {
  private readonly seen = new Set<string>();
  readonly sessions = new Map<string, SessionRecord>();
  events = 0;

  add(raw: string): void {
    let e: Loose;
    try {
      e = JSON.parse(raw) as Loose;
    } catch {
      return;
    }
    if (typeof e !== 'object' || e === null || isCheckpoint(e) || typeof e.session !== 'string') return;
    const id = `${String(e.instance)}#${String(e.seq)}`;
    if (e.instance !== undefined && this.seen.has(id)) return;
    this.seen.add(id);
    this.events++;
    let s = this.sessions.get(e.session);
    if (!s) this.sessions.set(e.session, (s = { id: e.session, events: [] }));
    s.events.push(e);
    if (e.type === 'session.start') s.start = e;
    if (e.type === 'session.end') s.end = e;
  }

  /** Sessions matching every given filter, oldest first. */
  list(filter: SessionFilter): SessionRecord[] {
    const out = [...this.sessions.values()].filter((s) => s.id !== '-' && matches(s, filter));
    for (const s of out) s.events.sort(byTime);
    return out.sort((a, b) => startOf(a).localeCompare(startOf(b)));
  }
}

const byTime = (a: ChainedEvent, b: ChainedEvent) => a.at.localeCompare(b.at) || (a.instance === b.instance ? a.seq - b.seq : 0);
const startOf = (s: SessionRecord) => s.start?.at ?? s.events[0]?.at ?? '';

function identityOf(s: SessionRecord): { subject?: string; role?: string; groups?: string[]; actor?: { subject?: string } } {
  return (s.start?.identity ?? {}) as { subject?: string; role?: string; groups?: string[]; actor?: { subject?: string } };
}

function tablesOf(e: ChainedEvent): string[] {
  return Array.isArray(e.tables) ? (e.tables as string[]) : [];
}

function matches(s: SessionRecord, f: SessionFilter): boolean {
  const id = identityOf(s);
  if (f.subject && id.subject !== f.subject && id.actor?.subject !== f.subject) return false;
  if (f.role && id.role !== f.role) return false;
  if (f.group && !(id.groups ?? []).includes(f.group)) return false;
  const first = startOf(s);
  const last = s.end?.at ?? s.events[s.events.length - 1]?.at ?? first;
  if (f.since && last < f.since.toISOString()) return false;
  if (f.until && first > f.until.toISOString()) return false;
  const statements = s.events.filter((e) => e.type === 'statement');
  if (f.decision && !statements.some((e) => e.decision === f.decision)) return false;
  if (f.table) {
    const want = f.table.toLowerCase();
    const hit = statements.some((e) => tablesOf(e).some((t) => t.toLowerCase() === want || t.toLowerCase().endsWith(`.${want}`)));
    if (!hit) return false;
  }
  return true;
}

/** One line per session for `sessions list`. */
export function summaryLine(s: SessionRecord): string {
  const id = identityOf(s);
  const client = (s.start?.client ?? {}) as { address?: string; applicationName?: string; protocol?: string; database?: string };
  const statements = s.events.filter((e) => e.type === 'statement');
  const denied = statements.filter((e) => e.decision !== 'allow').length;
  const who = `${id.subject ?? '?'}${id.actor?.subject ? ` (actor ${id.actor.subject})` : ''}`;
  return [
    s.id,
    startOf(s),
    who,
    `role ${id.role ?? '?'}`,
    `${client.protocol ?? '?'}://${client.address ?? '?'}/${client.database ?? '?'}`,
    client.applicationName ? `app ${client.applicationName}` : '',
    `${statements.length} statements, ${denied} denied`,
    s.end ? `ended: ${String(s.end.reason)}` : 'open',
  ]
    .filter((x) => x !== '')
    .join('  ');
}

/** `sessions show`: the session as a readable transcript. */
export function transcript(s: SessionRecord): string {
  const id = identityOf(s);
  const client = (s.start?.client ?? {}) as Record<string, unknown>;
  const lines: string[] = [];
  lines.push(`session ${s.id}`);
  if (s.start) {
    lines.push(`  who      ${id.subject ?? '?'}${id.actor?.subject ? ` (acting: ${id.actor.subject})` : ''}, role ${id.role ?? '?'}, groups ${(id.groups ?? []).join(', ') || '-'}`);
    lines.push(
      `  client   ${String(client.protocol)} from ${String(client.address)}:${String(client.port)}, tls ${client.tls ? 'yes' : 'no'}, database ${String(client.database)}, upstream ${String(s.start.upstream)}`,
    );
    if (client.applicationName) lines.push(`  app      ${String(client.applicationName)}`);
    const traces = Object.entries((client.traceIds ?? {}) as Record<string, string>);
    if (traces.length > 0) lines.push(`  trace    ${traces.map(([k, v]) => `${k}=${v}`).join(' ')}`);
    lines.push(`  started  ${s.start.at}   (instance ${s.start.instance})`);
  }
  for (const e of s.events) {
    if (e.type === 'session.start' || e.type === 'session.end') continue;
    const t = e.at.slice(11, 23);
    if (e.type === 'statement') {
      const decision = String(e.decision).toUpperCase().padEnd(5);
      const extra = [
        tablesOf(e).length ? `tables ${tablesOf(e).join(', ')}` : '',
        e.rule ? `rule ${String(e.rule)}` : '',
        e.rows !== undefined ? `${String(e.rows)} rows` : '',
        e.sqlState && e.decision !== 'allow' ? `SQLSTATE ${String(e.sqlState)}` : '',
      ].filter((x) => x !== '');
      lines.push(`  ${t} ${decision} ${String(e.sql)}${extra.length ? `   [${extra.join('; ')}]` : ''}`);
      if (e.decision !== 'allow' && e.reason) lines.push(`               ${String(e.reason)}`);
    } else {
      const { v: _v, type, session: _s, at: _a, instance: _i, seq: _q, prevHash: _p, hash: _h, ...rest } = e;
      lines.push(`  ${t} ${type} ${JSON.stringify(rest)}`);
    }
  }
  if (s.end) lines.push(`  ended    ${s.end.at}: ${String(s.end.reason)}, ${String(s.end.statements)} statements, ${String(s.end.rows)} rows`);
  else lines.push('  (no session.end: still open, or the gateway stopped without closing it)');
  return `${lines.join('\n')}\n`;
}

export const CSV_COLUMNS = ['at', 'session', 'type', 'subject', 'actor', 'role', 'decision', 'rule', 'kind', 'tables', 'sql', 'rows', 'sqlState', 'instance', 'seq'] as const;

function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = Array.isArray(value) ? value.join(' ') : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(s: SessionRecord, e: ChainedEvent): string {
  const id = identityOf(s);
  const row: Record<(typeof CSV_COLUMNS)[number], unknown> = {
    at: e.at,
    session: e.session,
    type: e.type,
    subject: id.subject,
    actor: id.actor?.subject,
    role: id.role,
    decision: e.decision,
    rule: e.rule,
    kind: e.kind,
    tables: e.tables,
    sql: e.sql,
    rows: e.rows ?? (e.type === 'session.end' ? e.rows : undefined),
    sqlState: e.sqlState,
    instance: e.instance,
    seq: e.seq,
  };
  return CSV_COLUMNS.map((c) => csvCell(row[c])).join(',');
}
