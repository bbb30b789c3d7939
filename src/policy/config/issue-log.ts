// Collects errors and warnings, placing each at the line and column of the YAML node it is about.
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import { formatPath, type ConfigIssue, type PathSegment, type Target } from './issues.js';

export class IssueLog {
  readonly errors: ConfigIssue[] = [];
  readonly warnings: ConfigIssue[] = [];

  constructor(
    private readonly doc: Document,
    private readonly lineCounter: LineCounter,
  ) {}

  error(path: readonly PathSegment[], message: string, target: Target = 'value'): void {
    this.errors.push(this.issue(path, message, target));
  }

  warn(path: readonly PathSegment[], message: string, target: Target = 'value'): void {
    this.warnings.push(this.issue(path, message, target));
  }

  /** An issue at a raw offset in the text (YAML syntax errors know only that). */
  errorAtOffset(offset: number, message: string): void {
    this.errors.push({ path: '', ...this.position(offset), message });
  }

  warnAtOffset(offset: number, message: string): void {
    this.warnings.push({ path: '', ...this.position(offset), message });
  }

  private issue(path: readonly PathSegment[], message: string, target: Target): ConfigIssue {
    const offset = this.offsetOf(path, target);
    return { path: formatPath(path), ...(offset === undefined ? {} : this.position(offset)), message };
  }

  private position(offset: number): { line: number; column: number } {
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }

  /**
   * Start of the node at `path`. When the path does not exist (a missing key), the deepest node
   * that does exist stands in: the error is then reported at the map that lacks the key.
   */
  private offsetOf(path: readonly PathSegment[], target: Target): number | undefined {
    let node: unknown = this.doc.contents;
    let offset = startOf(node);
    for (const [i, segment] of path.entries()) {
      if (isAlias(node)) node = node.resolve(this.doc);
      const key = String(segment);
      const pair = isMap(node) ? node.items.find((item) => isPair(item) && keyText(item.key) === key) : undefined;
      if (pair) {
        const last = i === path.length - 1;
        if (last && target === 'key') return startOf(pair.key) ?? offset;
        node = pair.value;
        // `key:` with no value has no node of its own: point at the key.
        offset = startOf(pair.value) ?? startOf(pair.key) ?? offset;
      } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
        node = node.items[segment];
        offset = startOf(node) ?? offset;
      } else {
        break;
      }
    }
    return offset;
  }
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function startOf(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}
