// What walking one top-level statement gathers: tables read and written, data-modifying effects
// nested inside it, risk flags, and whether every literal-dependent fact could be tied to a
// literal of the string (else the analysis must not be cached by shape).

import type { FilterClause, RiskFlag, StatementKind } from './analysis.js';
import { tableKey, type NamedTable } from './pg-catalog.js';
import type { Lineage } from './pg-lineage.js';
import type { LiteralLocator } from './pg-literal-locator.js';
import type { FilterTemplate } from './pg-template.js';

export class Collector {
  readonly reads = new Map<string, NamedTable>();
  readonly writes = new Map<string, NamedTable>();
  /** Kinds of data-modifying statements found below the top level (in CTEs). */
  readonly nestedEffects = new Set<StatementKind>();
  readonly flags = new Set<RiskFlag>();
  cacheable = true;
  /** Table columns used outside the output, by table, column and clause. */
  readonly filters = new Map<string, FilterTemplate>();
  /** How many queries deep the walk is: a DML statement at depth > 0 is nested. */
  depth = 0;

  constructor(readonly locator: LiteralLocator) {}

  read(table: NamedTable): void {
    const key = tableKey(table);
    if (!this.reads.has(key)) this.reads.set(key, table);
  }

  write(table: NamedTable): void {
    const key = tableKey(table);
    if (!this.writes.has(key)) this.writes.set(key, table);
  }

  /** Notes every source of `lineage` as used in `clause` (not as an output value). */
  filter(lineage: Lineage, clause: FilterClause): void {
    for (const source of lineage.sources.values()) {
      const key = `${tableKey(source.table)}\0${source.column}\0${clause}`;
      if (!this.filters.has(key)) this.filters.set(key, { table: source.table, column: source.column, clause });
    }
  }

  /** Runs a query walk one level deeper. */
  nested<T>(walk: () => T): T {
    this.depth++;
    try {
      return walk();
    } finally {
      this.depth--;
    }
  }

  /** Runs a walk as if at the top level (the query inside EXPLAIN, COPY, DECLARE, PREPARE). */
  topLevel<T>(walk: () => T): T {
    const depth = this.depth;
    this.depth = 0;
    try {
      return walk();
    } finally {
      this.depth = depth;
    }
  }
}
