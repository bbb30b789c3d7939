// Shared helpers for the SQL analysis tests: one analyzer per file, a seeded random source, and
// rewriting a statement's literals to other values of the same class.
import { expect } from 'vitest';
import type { StatementAnalysis, StatementInfo } from '../../../src/sql/analysis.js';
import { fingerprintPg, type Literal } from '../../../src/sql/fingerprint.js';
import { createPgAnalyzer, type PgStatementAnalyzer } from '../../../src/sql/pg-analyzer.js';

export const context = { searchPath: ['public'] } as const;

export async function analyzer(): Promise<PgStatementAnalyzer> {
  return createPgAnalyzer();
}

/** The statements of a successful analysis (fails the test otherwise). */
export function statementsOf(analysis: StatementAnalysis): readonly StatementInfo[] {
  if (!analysis.ok) expect.fail(`analysis failed: ${analysis.error}`);
  return analysis.statements;
}

/** Deterministic pseudo-random numbers (mulberry32), so failures replay. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)]!;
}

/** Another literal of the same class as `literal` (same cache key, different value). */
function variantOf(literal: Literal, text: string, salt: number): string {
  switch (literal.kind) {
    case 'integer': {
      // Stay on the same side of int4 (the cache key tells the two apart).
      const value = Number(text.replace(/_/g, ''));
      return value > 2147483647 ? String(3_000_000_000 + salt) : String((value + 7 + salt) % 1_000_000);
    }
    case 'numeric':
      return `${salt}.25`;
    case 'string':
      return `'v${salt}''q'`;
    case 'dollar-string':
      return `$$other ${salt}$$`;
    case 'escape-string':
      return `E'e\\n${salt}'`;
    case 'unicode-string':
      return `U&'u${salt}'`;
    case 'bit-string':
      return text[0] === 'x' || text[0] === 'X' ? "X'1F'" : "B'1010'";
  }
}

/** The statement with every literal replaced by a different value of the same class. */
export function withOtherLiterals(sql: string, salt = 1): string {
  const fingerprint = fingerprintPg(sql);
  let out = '';
  let at = 0;
  for (const literal of fingerprint.literals) {
    out += sql.slice(at, literal.start) + variantOf(literal, sql.slice(literal.start, literal.end), salt);
    at = literal.end;
  }
  return out + sql.slice(at);
}
