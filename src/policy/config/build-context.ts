// What the semantic checks share: where to report, where relative paths start, and which parts of
// the document the schema already rejected (those are skipped, so one mistake is reported once).
import type { IssueLog } from './issue-log.js';
import { formatPath, isWithin, type PathSegment } from './issues.js';
import { resolveFrom } from './files.js';

export class BuildContext {
  constructor(
    readonly log: IssueLog,
    /** Directory of the rules file. */
    readonly baseDir: string,
    private readonly schemaFailures: readonly PathSegment[][],
    private readonly fromEnv: ReadonlySet<string>,
  ) {}

  /** True when the schema found nothing wrong at, above or below `path`: its value has the declared type. */
  usable(path: readonly PathSegment[]): boolean {
    return !this.schemaFailures.some((failed) => isWithin(failed, path) || isWithin(path, failed));
  }

  /** True when the schema rejected the value at `path` itself or something that holds it. */
  rejected(path: readonly PathSegment[]): boolean {
    return this.schemaFailures.some((failed) => isWithin(path, failed));
  }

  /** True when the value at `path` was (partly) taken from an environment variable. */
  fromEnvironment(path: readonly PathSegment[]): boolean {
    return this.fromEnv.has(formatPath(path));
  }

  resolve(path: string): string {
    return resolveFrom(this.baseDir, path);
  }

  /** Reports every item whose name repeats an earlier one. */
  checkUniqueNames(section: string, items: readonly unknown[], what: string): void {
    const first = new Map<string, number>();
    items.forEach((item, i) => {
      const name = (item as { name?: unknown } | null)?.name;
      if (typeof name !== 'string' || !this.usable([section, i, 'name'])) return;
      const earlier = first.get(name);
      if (earlier === undefined) first.set(name, i);
      else this.log.error([section, i, 'name'], `duplicate ${what} name "${name}" (also ${section}[${earlier}])`);
    });
  }
}

/** Names given by a section's items, including items that are otherwise invalid. */
export function namesOf(items: readonly unknown[]): Set<string> {
  const names = new Set<string>();
  for (const item of items) {
    const name = (item as { name?: unknown } | null)?.name;
    if (typeof name === 'string') names.add(name);
  }
  return names;
}

/** `"a", "b"` for messages that list what exists. */
export function quoteNames(names: Iterable<string>): string {
  return [...names].map((name) => `"${name}"`).join(', ') || 'none';
}

/** Schema-rejected items may be anything; builders only look inside maps. */
export function isRecord(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
