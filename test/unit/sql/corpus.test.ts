import { beforeAll, describe, expect, it } from 'vitest';
import type { StatementInfo, TableRef } from '../../../src/sql/analysis.js';
import type { PgStatementAnalyzer } from '../../../src/sql/pg-analyzer.js';
import { corpus } from './corpus.js';
import { analyzer, context, statementsOf } from './helpers.js';

let pg: PgStatementAnalyzer;
beforeAll(async () => {
  pg = await analyzer();
});

const name = (table: TableRef): string => (table.schema === undefined ? table.name : `${table.schema}.${table.name}`);
const unique = <T>(items: T[]): T[] => [...new Set(items)];

function summary(statements: readonly StatementInfo[]) {
  return {
    kinds: statements.map((statement) => statement.kind),
    flags: unique(statements.flatMap((statement) => statement.flags)).sort(),
    read: unique(statements.flatMap((statement) => statement.tablesRead.map(name))).sort(),
    written: unique(statements.flatMap((statement) => statement.tablesWritten.map(name))).sort(),
    functions: unique(statements.flatMap((statement) => statement.functions)).sort(),
    limit: statements[0]?.limit,
  };
}

describe('PostgreSQL statement corpus', () => {
  it('has at least 60 statements', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(60);
  });

  it.each(corpus.map((c) => [c.sql.replace(/\s+/g, ' ').slice(0, 90), c] as const))('%s', (_, c) => {
    const got = summary(statementsOf(pg.analyze(c.sql, context)));
    const expected: Partial<ReturnType<typeof summary>> = { kinds: c.kinds };
    if (c.flags !== undefined) expected.flags = [...c.flags].sort();
    if (c.read !== undefined) expected.read = [...c.read].sort();
    if (c.written !== undefined) expected.written = [...c.written].sort();
    if (c.functions !== undefined) expected.functions = [...c.functions].sort();
    if (c.limit !== undefined) expected.limit = c.limit;
    const picked = Object.fromEntries(Object.keys(expected).map((key) => [key, got[key as keyof typeof got]]));
    expect(picked).toEqual(expected);
  });

  it('analyses each statement the same from the cache as fresh, whatever its literals', async () => {
    const { withOtherLiterals } = await import('./helpers.js');
    const { createPgAnalyzer } = await import('../../../src/sql/pg-analyzer.js');
    const warm = await createPgAnalyzer();
    for (const c of corpus) {
      const variant = withOtherLiterals(c.sql, 3);
      warm.analyze(c.sql, context); // primes the cache with the original literals
      const fresh = await createPgAnalyzer();
      expect(warm.analyze(variant, context), variant).toEqual(fresh.analyze(variant, context));
    }
    expect(warm.stats().hits).toBeGreaterThan(corpus.length / 2);
  });
});
