// `sqlveil sessions list|show ID|export`: recorded sessions, read from the audit topics (--brokers)
// or the JSON-lines file (--file).
import { parseArgs } from 'node:util';
import { CSV_COLUMNS, csvRow, SessionIndex, summaryLine, transcript, type SessionFilter } from '../audit/session-index.js';
import { checkSource, exitQuietlyOnClosedPipe, readSource, sourceOptions } from './audit-source.js';

const sessionsUsage = `Usage: sqlveil sessions <list|show ID|export> (--brokers B | --file F) [options]

Source:   --brokers host:port[,..] [--topic-prefix P] [--topics a,b]   or   --file audit.jsonl
Filters:  --subject S (token subject or its actor)  --role R  --group G
          --since TIME  --until TIME (ISO-8601)  --table [schema.]T  --decision allow|deny|approve
export:   --format jsonl|csv (default jsonl) [--out FILE]; a progress line goes to stderr
`;

export async function runSessions(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        ...sourceOptions,
        subject: { type: 'string' },
        role: { type: 'string' },
        group: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        table: { type: 'string' },
        decision: { type: 'string' },
        format: { type: 'string', default: 'jsonl' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    return usageError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(sessionsUsage);
    return 0;
  }
  const [command, id] = positionals;
  if (command !== 'list' && command !== 'show' && command !== 'export') return usageError('the command is list, show ID or export');
  if (command === 'show' && !id) return usageError('show needs a session id');
  if (values.format !== 'jsonl' && values.format !== 'csv') return usageError('--format is jsonl or csv');
  const problem = checkSource(values);
  if (problem) return usageError(problem);
  const filter: SessionFilter = { subject: values.subject, role: values.role, group: values.group, table: values.table, decision: values.decision };
  for (const key of ['since', 'until'] as const) {
    const text = values[key];
    if (text === undefined) continue;
    const when = new Date(text);
    if (Number.isNaN(when.getTime())) return usageError(`--${key} is not a time: ${text}`);
    filter[key] = when;
  }

  exitQuietlyOnClosedPipe();
  const index = new SessionIndex();
  const progress = new Progress(command === 'export');
  await readSource(values, (r) => {
    index.add(r.raw);
    progress.tick('read', index.events);
  });

  if (command === 'show') {
    const session = index.sessions.get(id!);
    if (!session) {
      process.stderr.write(`sqlveil sessions: no session ${id} in the trail\n`);
      return 1;
    }
    index.list({}); // sorts its events
    process.stdout.write(transcript(session));
    return 0;
  }
  const sessions = index.list(filter);
  if (command === 'list') {
    for (const s of sessions) process.stdout.write(`${summaryLine(s)}\n`);
    process.stdout.write(`${sessions.length} sessions\n`);
    return 0;
  }

  const out = values.out ? (await import('node:fs')).createWriteStream(values.out, { mode: 0o600 }) : process.stdout;
  const write = (line: string) => (out.write(`${line}\n`) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r())));
  if (values.format === 'csv') await write(CSV_COLUMNS.join(','));
  let exported = 0;
  for (const s of sessions) {
    for (const e of s.events) {
      if (e.type === 'statement' && filter.decision && e.decision !== filter.decision) continue;
      await write(values.format === 'csv' ? csvRow(s, e) : JSON.stringify(e));
      progress.tick('exported', ++exported);
    }
  }
  if (out !== process.stdout) await new Promise<void>((r) => out.end(() => r()));
  progress.done(`exported ${exported} events of ${sessions.length} sessions`);
  return 0;
}

/** A line on stderr at most once a second, for long exports. */
class Progress {
  private last = Date.now();
  private shown = false;
  constructor(private readonly enabled: boolean) {}
  tick(what: string, n: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 1000) return;
    this.last = now;
    this.shown = true;
    process.stderr.write(`\r${what} ${n} events...`);
  }
  done(message: string): void {
    if (!this.enabled) return;
    process.stderr.write(`${this.shown ? '\r' : ''}${message}\n`);
  }
}

function usageError(message: string): number {
  process.stderr.write(`sqlveil sessions: ${message}\n\n${sessionsUsage}`);
  return 2;
}
