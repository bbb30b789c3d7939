// The masking plan of one result set: for each output column, keep it or mask it with which
// strategy, decided from where the column comes from. Pure: the relay resolves origins (catalog,
// MySQL org_table) and passes the statement analysis; the plan is built once per row description.
//
// 1. Origin first: a column that is a plain reference to a table column gets that column's rule
//    (a reference into a view counts as derived from every base column the view reads).
// 2. Lineage second: any other column gets the strictest strategy among the protected columns it
//    derives from, made safe for derived values (derivedStrategy: redact or null).
// 3. A column without origin whose lineage is opaque (or missing), in a statement that reads a
//    protected table, follows masking.onUnknownLineage: refuse the statement, mask it (null or
//    redact), or allow it (its known protected sources are still masked).
// 4. The chosen strategy must write valid text for the column's type; otherwise the cell is NULL.
import type { ColumnLineage, FilterClause, FilterColumn, TableRef } from '../sql/analysis.js';
import { compileGlob } from '../policy/glob.js';
import type { MaskingConfig, MaskingRule, MaskingStrategy } from '../policy/config/types.js';
import { derivedStrategy, strictness } from './strictness.js';
import { keepsTypeValid, type ValueType } from './value-types.js';

/** A column of a table: schema is the PostgreSQL schema or the MySQL database. */
export interface ColumnRef {
  schema?: string;
  table: string;
  column: string;
}

export interface PlanColumn {
  /** Output column name as the client sees it. */
  name: string;
  /** The table column this output column plainly references, when the protocol says so. */
  origin?: ColumnRef;
  /** What the statement analysis traced this output column to. */
  lineage?: ColumnLineage;
  /** The column's type family (pgValueType / mysqlValueType); absent counts as `other`: masked cells become NULL. */
  type?: ValueType;
}

export interface PlanContext {
  /** Tables the statement reads (StatementInfo.tablesRead); absent: unknown, so possibly protected ones. */
  tablesRead?: readonly TableRef[];
  /**
   * For a relation whose rows come from other tables (a view, materialized view, foreign table):
   * the base-table columns it reads (PostgreSQL: pg_depend of its rewrite rule); undefined for a
   * base table. A column reached through such a relation is treated as derived from all of them.
   */
  relationSources?: (table: TableRef) => readonly ColumnRef[] | undefined;
}

export type ColumnDecision =
  | { action: 'keep' }
  | {
      action: 'mask';
      /** The strategy applied to cells (after the type rule: `null` when the rule's strategy cannot write this type). */
      strategy: MaskingStrategy;
      /** The rule's own strategy name, before derivation and the type rule. */
      ruleStrategy: MaskingStrategy['kind'];
      /** The deciding rule, or `masking.onUnknownLineage`. */
      rule: string;
      via: 'origin' | 'lineage' | 'unknown-lineage';
      /** True when the strategy could not keep the column's type valid, so cells become NULL. */
      nulledForType: boolean;
    };

export interface ColumnPlan {
  index: number;
  name: string;
  /** The column's type family (from PlanColumn.type). */
  type: ValueType;
  decision: ColumnDecision;
}

/** A column this role saw unmasked although a rule matched it: the role is in the rule's `except`. */
export interface PrivilegedColumn {
  index: number;
  name: string;
  rules: string[];
}

export type MaskingPlan =
  | {
      ok: true;
      role: string;
      columns: ColumnPlan[];
      /** Indexes of the masked columns. */
      masked: number[];
      /** Privileged unmasking to audit. */
      privileged: PrivilegedColumn[];
      /** Columns of unknown lineage over protected tables let through by onUnknownLineage: allow. */
      unchecked: number[];
    }
  | {
      ok: false;
      role: string;
      /** The first column the gateway could not vouch for. */
      column: { index: number; name: string };
      /** For the agent: what happened and why. */
      message: string;
      /** For the agent: what would be allowed. */
      hint: string;
      rule: 'masking.onUnknownLineage';
    };

/** A statement refused because it uses a masked column where its value would be confirmed. */
export interface FilterRefusal {
  rule: string;
  /** The column as the statement names it, and the masked base column behind it (a view's). */
  column: ColumnRef;
  masked: ColumnRef;
  clause: FilterClause;
  message: string;
  hint: string;
}

const CLAUSE_WORDS: Record<FilterClause, string> = {
  where: 'WHERE',
  join: 'a JOIN condition (ON, USING, NATURAL)',
  'group-by': 'GROUP BY',
  having: 'HAVING',
  'order-by': 'ORDER BY',
  window: 'a window (PARTITION BY, ORDER BY)',
  aggregate: 'an aggregate argument or FILTER (count(DISTINCT ...), ...)',
  distinct: 'DISTINCT',
  'set-operation': 'UNION, INTERSECT or EXCEPT (they compare values; UNION ALL does not)',
  limit: 'LIMIT or OFFSET',
  condition: 'a CASE condition (CASE WHEN ... / CASE x WHEN ...)',
  'set-returning': 'the arguments of a set-returning function (regexp_matches, generate_series, unnest, ...)',
  variable: 'an assignment to a user variable',
};

interface CompiledRule {
  rule: MaskingRule;
  order: number;
  patterns: { schema: RegExp; table: RegExp; column: RegExp }[];
}

const WHOLE_ROW = '*';

/** Rules compiled once per configuration; plans are pure functions of them. */
export class MaskingRules {
  private readonly rules: CompiledRule[];

  constructor(private readonly config: Pick<MaskingConfig, 'rules' | 'onUnknownLineage'>) {
    this.rules = config.rules.map((rule, order) => ({
      rule,
      order,
      patterns: rule.columns.map((glob) => {
        const [schema, table, column] = glob.split('.').map(globRegex) as [RegExp, RegExp, RegExp];
        return { schema, table, column };
      }),
    }));
  }

  plan(role: string, columns: readonly PlanColumn[], context: PlanContext = {}): MaskingPlan {
    const applicable = this.rules.filter((r) => r.rule.roles === undefined || r.rule.roles.includes(role));
    const enforced = applicable.filter((r) => !r.rule.except.includes(role));
    const excepted = applicable.filter((r) => r.rule.except.includes(role));
    const out: ColumnPlan[] = [];
    const privileged: PrivilegedColumn[] = [];
    const unchecked: number[] = [];

    for (const [index, column] of columns.entries()) {
      const direct = column.origin ? [column.origin] : (column.lineage?.sources.map(fromLineage) ?? []);
      const { refs: sources, throughRelation } = expandRelations(direct, context);
      const via = column.origin && !throughRelation ? 'origin' : 'lineage';
      let decision: ColumnDecision = { action: 'keep' };
      const strictest = strictestRule(enforced, sources);
      const traced = column.origin !== undefined || (column.lineage !== undefined && !column.lineage.opaque);
      // Sources not (fully) known: what the statement reads decides whether protected values may hide in it.
      const touched = traced ? [] : touchedRules(enforced, column, context);
      if (touched.length > 0 && this.config.onUnknownLineage === 'refuse') return refusal(role, index, column, touched, context);
      if (touched.length > 0 && this.config.onUnknownLineage === 'mask') {
        const worst = [...touched, ...(strictest ? [strictest] : [])].reduce((a, b) => (stricter(b, a) ? b : a));
        decision = maskDecision(derivedStrategy(worst.rule.strategy), { name: 'masking.onUnknownLineage' }, 'unknown-lineage', column.type);
      } else if (strictest) {
        const strategy = via === 'origin' ? strictest.rule.strategy : derivedStrategy(strictest.rule.strategy);
        decision = maskDecision(strategy, strictest.rule, via, column.type);
      } else if (touched.length > 0) {
        unchecked.push(index); // onUnknownLineage: allow
      }
      if (decision.action === 'keep') {
        const seen = strictestRules(excepted, sources);
        if (seen.length > 0) privileged.push({ index, name: column.name, rules: seen });
      }
      out.push({ index, name: column.name, type: column.type ?? 'other', decision });
    }
    return {
      ok: true,
      role,
      columns: out,
      masked: out.filter((c) => c.decision.action === 'mask').map((c) => c.index),
      privileged,
      unchecked,
    };
  }

  /**
   * Blind inference: the first use of a column masked for `role` outside the select list whose
   * rule does not say `filter: allow`. A use of a view's column counts as a use of every base
   * column the view reads (which view column is which is not known here); the view's own WHERE
   * is its owner's choice and is not among the uses.
   */
  filterRefusal(role: string, uses: readonly FilterColumn[], context: Pick<PlanContext, 'relationSources'> = {}): FilterRefusal | undefined {
    const enforced = this.rules.filter((r) => (r.rule.roles === undefined || r.rule.roles.includes(role)) && !r.rule.except.includes(role));
    const denying = enforced.filter((r) => r.rule.filter !== 'allow');
    if (denying.length === 0) return undefined;
    for (const use of uses) {
      const column = fromLineage(use);
      const { refs } = expandRelations([column], context);
      for (const ref of refs) {
        const rule = denying.find((r) => matches(r, ref));
        if (rule === undefined) continue;
        const masked = ref.column === WHOLE_ROW ? { ...ref, column: maskedColumnName(rule, ref) } : ref;
        return filterRefusal(role, rule.rule.name, column, masked, use.clause);
      }
    }
    return undefined;
  }

  /** True when some rule masks values for `role` (its error and notice texts are scanned too). */
  appliesTo(role: string): boolean {
    return this.rules.some((r) => (r.rule.roles === undefined || r.rule.roles.includes(role)) && !r.rule.except.includes(role));
  }

  /** True when some rule names the table for `role`, enforced or excepted (privileged unmasking is audited). */
  mentionsTable(role: string, table: TableRef): boolean {
    const applicable = this.rules.filter((r) => r.rule.roles === undefined || r.rule.roles.includes(role));
    return rulesOnTables(applicable, [table]).length > 0;
  }

  /** `schema.table` of every table some rule enforced for `role` covers (for messages and checks). */
  protectsTable(role: string, table: TableRef): boolean {
    const enforced = this.rules.filter((r) => (r.rule.roles === undefined || r.rule.roles.includes(role)) && !r.rule.except.includes(role));
    return rulesOnTables(enforced, [table]).length > 0;
  }
}

function maskDecision(strategy: MaskingStrategy, rule: { name: string }, via: 'origin' | 'lineage' | 'unknown-lineage', type: ValueType = 'other'): ColumnDecision {
  const valid = keepsTypeValid(strategy.kind, type);
  return {
    action: 'mask',
    strategy: valid ? strategy : { kind: 'null' },
    ruleStrategy: strategy.kind,
    rule: rule.name,
    via,
    nulledForType: !valid,
  };
}

/** Rules enforced on the tables an untraced column may come from (any rule when those are unknown). */
function touchedRules(enforced: readonly CompiledRule[], column: PlanColumn, context: PlanContext): CompiledRule[] {
  if (context.tablesRead === undefined) return [...enforced];
  const tables = expandTables([...(column.lineage?.sources.map((s) => s.table) ?? []), ...context.tablesRead], context);
  return rulesOnTables(enforced, tables);
}

/** Replaces references into views (and the like) by the base-table columns those read. */
function expandRelations(refs: readonly ColumnRef[], context: PlanContext): { refs: ColumnRef[]; throughRelation: boolean } {
  if (!context.relationSources) return { refs: [...refs], throughRelation: false };
  const out: ColumnRef[] = [];
  let throughRelation = false;
  for (const ref of refs) {
    const base = context.relationSources(ref.schema === undefined ? { name: ref.table } : { schema: ref.schema, name: ref.table });
    if (base === undefined) out.push(ref);
    else {
      throughRelation = true;
      out.push(...base);
    }
  }
  return { refs: out, throughRelation };
}

function expandTables(tables: readonly TableRef[], context: PlanContext): TableRef[] {
  if (!context.relationSources) return [...tables];
  return tables.flatMap((table) => {
    const base = context.relationSources?.(table);
    return base === undefined ? [table] : base.map((ref) => (ref.schema === undefined ? { name: ref.table } : { schema: ref.schema, name: ref.table }));
  });
}

function fromLineage(source: ColumnLineage['sources'][number]): ColumnRef {
  const ref: ColumnRef = { table: source.table.name, column: source.column };
  if (source.table.schema !== undefined) ref.schema = source.table.schema;
  return ref;
}

/** A column whose schema is unknown may be any schema's (fail closed); `*` is every column of the table. */
function matches(rule: CompiledRule, ref: ColumnRef): boolean {
  return rule.patterns.some(
    (p) =>
      (ref.schema === undefined || p.schema.test(ref.schema)) &&
      p.table.test(ref.table) &&
      (ref.column === WHOLE_ROW || p.column.test(ref.column)),
  );
}

function stricter(a: CompiledRule, b: CompiledRule): boolean {
  const diff = strictness[a.rule.strategy.kind] - strictness[b.rule.strategy.kind];
  return diff > 0 || (diff === 0 && a.order < b.order);
}

function strictestRule(rules: readonly CompiledRule[], refs: readonly ColumnRef[]): CompiledRule | undefined {
  let best: CompiledRule | undefined;
  for (const ref of refs) {
    for (const rule of rules) if (matches(rule, ref) && (!best || stricter(rule, best))) best = rule;
  }
  return best;
}

function strictestRules(rules: readonly CompiledRule[], refs: readonly ColumnRef[]): string[] {
  const names = new Set<string>();
  for (const ref of refs) for (const rule of rules) if (matches(rule, ref)) names.add(rule.rule.name);
  return [...names];
}

function rulesOnTables(rules: readonly CompiledRule[], tables: readonly TableRef[]): CompiledRule[] {
  return rules.filter((rule) =>
    tables.some((t) => rule.patterns.some((p) => (t.schema === undefined || p.schema.test(t.schema)) && p.table.test(t.name))),
  );
}

function refusal(role: string, index: number, column: PlanColumn, touched: CompiledRule[], context: PlanContext): MaskingPlan {
  const tables = new Set<string>();
  for (const rule of touched) for (const glob of rule.rule.columns) tables.add(glob.slice(0, glob.lastIndexOf('.')));
  const read = context.tablesRead === undefined ? 'a statement the gateway could not fully trace' : 'a statement reading protected tables';
  return {
    ok: false,
    role,
    column: { index, name: column.name },
    message:
      `result column "${column.name}" (position ${index + 1}) derives from values the gateway cannot trace, in ${read} ` +
      `(${[...tables].join(', ')}); masking rules refuse it for role ${role} (masking.onUnknownLineage: refuse)`,
    hint:
      'select the columns you need by name (e.g. SELECT id, diagnosis_code FROM ...) instead of whole-row values, ' +
      'row or JSON serialisation, or expressions the gateway cannot trace; protected columns then come back masked',
    rule: 'masking.onUnknownLineage',
  };
}

/** For a whole-row use: the rule's first column glob of that table, for the message. */
function maskedColumnName(rule: CompiledRule, ref: ColumnRef): string {
  const glob = rule.rule.columns.find((g, i) => rule.patterns[i]!.table.test(ref.table));
  return glob === undefined ? WHOLE_ROW : glob.slice(glob.lastIndexOf('.') + 1);
}

const refName = (ref: ColumnRef): string => `${ref.schema === undefined ? '' : `${ref.schema}.`}${ref.table}.${ref.column}`;

function filterRefusal(role: string, rule: string, column: ColumnRef, masked: ColumnRef, clause: FilterClause): FilterRefusal {
  const table = `${masked.schema === undefined ? '' : `${masked.schema}.`}${masked.table}`;
  const named = column.column === WHOLE_ROW ? `the whole row of ${refName(column).slice(0, -2)}` : `column ${refName(column)}`;
  const through = refName(column) === refName(masked) ? '' : ` (it reads ${refName(masked)})`;
  return {
    rule,
    column,
    masked,
    clause,
    message:
      `${named}${through} is masked for role ${role} and cannot be used in ${CLAUSE_WORDS[clause]}: ` +
      `${clause === 'variable' ? 'a later statement would read it unmasked' : 'it would confirm values the result masks'} (masking rule ${rule}, filter: deny)`,
    hint:
      `filter, join, group and sort by ${table}.id or another unmasked key; ` +
      `the column itself may still be selected (it comes back masked)`,
  };
}

/** A glob part of a rule (checked at load) as an anchored expression; names are matched ignoring case. */
function globRegex(glob: string): RegExp {
  const compiled = compileGlob(glob, true);
  return compiled.ok ? compiled.regex : /(?!)/;
}
