import type { ConfigIssue } from '../policy/config/load.js';

/** `FILE:LINE:COL: PATH: MESSAGE`, the shape editors and CI logs link to. */
export function formatIssue(file: string, issue: ConfigIssue): string {
  const where = issue.line !== undefined ? `${file}:${issue.line}:${issue.column ?? 1}` : file;
  return `${where}: ${issue.path || '(root)'}: ${issue.message}`;
}
