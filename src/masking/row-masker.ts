// Applies a masking plan to the cells of one result set. Built once per row description: each
// masked column gets its strategy's closure, so a cell costs one array lookup and one call. It
// counts masked cells per column (and detector hits for `detect`), never values.
import type { MaskingStrategy } from '../policy/config/types.js';
import type { MaskFn } from './strategies.js';
import type { ColumnPlan, MaskingPlan } from './plan.js';

/** What the audit records of one result set's masking: counts only. */
export interface MaskedColumnCount {
  index: number;
  name: string;
  strategy: MaskingStrategy['kind'];
  rule: string;
  via: 'origin' | 'lineage' | 'unknown-lineage';
  /** Non-NULL cells the strategy was applied to (for `detect`: cells it changed). */
  cells: number;
  /** `detect` only: identifiers found, per detector name. */
  detections?: Record<string, number>;
}

interface Slot {
  plan: ColumnPlan & { decision: { action: 'mask' } };
  fn: MaskFn;
  count: MaskedColumnCount;
  /** Keyed strategies (hash, format): results by value, for this result set only. */
  memo?: Map<string, string | null>;
  lookups: number;
  hits: number;
}

/**
 * hash and format cost about a microsecond per cell (HMAC-SHA256), and a column's values repeat
 * (names, codes, a joined row per match): their results are kept per result set, up to this
 * many distinct values (then the memo starts over). Raw values live no longer than the result.
 */
const MEMO_ENTRIES = 4096;
const MEMOIZED = new Set<MaskingStrategy['kind']>(['hash', 'format']);
/** Every MEMO_PROBE lookups, a hit rate under MEMO_MIN_HITS turns a column's memo off. */
const MEMO_PROBE = 2048;
const MEMO_MIN_HITS = 0.25;

export class RowMasker {
  /** Indexes of the columns it changes; every other column passes through untouched. */
  readonly columns: readonly number[];
  private readonly slots: (Slot | undefined)[];

  constructor(plan: Extract<MaskingPlan, { ok: true }>, closureFor: (plan: ColumnPlan, onDetect: (detector: string) => void) => MaskFn) {
    this.slots = [];
    for (const column of plan.columns) {
      const decision = column.decision;
      if (decision.action !== 'mask') continue;
      const count: MaskedColumnCount = {
        index: column.index,
        name: column.name,
        strategy: decision.strategy.kind,
        rule: decision.rule,
        via: decision.via,
        cells: 0,
      };
      const detections: Record<string, number> = {};
      if (decision.strategy.kind === 'detect') count.detections = detections;
      const onDetect = (detector: string): void => {
        detections[detector] = (detections[detector] ?? 0) + 1;
      };
      const slot: Slot = { plan: column as Slot['plan'], fn: closureFor(column, onDetect), count, lookups: 0, hits: 0 };
      if (MEMOIZED.has(decision.strategy.kind)) slot.memo = new Map();
      this.slots[column.index] = slot;
    }
    this.columns = plan.masked;
  }

  /** The masked value of a cell (NULL stays NULL); columns the plan keeps come back unchanged. */
  apply(index: number, value: string | null): string | null {
    const slot = this.slots[index];
    if (slot === undefined || value === null) return value;
    const masked = slot.memo ? this.memoized(slot, slot.memo, value) : slot.fn(value);
    if (slot.count.detections === undefined || masked !== value) slot.count.cells++;
    return masked;
  }

  private memoized(slot: Slot, memo: Map<string, string | null>, value: string): string | null {
    // A column of mostly distinct values (one row per patient) gains nothing from the memo and
    // fills the old generation with its entries: a low hit rate turns it off for this result set.
    if (++slot.lookups % MEMO_PROBE === 0 && slot.hits < slot.lookups * MEMO_MIN_HITS) {
      slot.memo = undefined;
      return slot.fn(value);
    }
    let masked = memo.get(value);
    if (masked !== undefined) slot.hits++;
    else {
      masked = slot.fn(value);
      if (memo.size >= MEMO_ENTRIES) memo.clear();
      memo.set(value, masked);
    }
    return masked;
  }

  /**
   * Whether a column's masked value depends on the cell's value alone, and its count is one per
   * non-NULL cell: every strategy but `detect` (which counts what it finds). Callers may then
   * reuse an earlier result for the same value, and report the reuse with `reused`.
   */
  repeatable(index: number): boolean {
    const slot = this.slots[index];
    return slot !== undefined && slot.count.detections === undefined;
  }

  /** A cell of a repeatable column masked by reusing an earlier result: counted as apply() would. */
  reused(index: number): void {
    const slot = this.slots[index];
    if (slot !== undefined) slot.count.cells++;
  }

  /** Counters so far, one entry per masked column. */
  counts(): MaskedColumnCount[] {
    return this.slots
      .filter((slot): slot is Slot => slot !== undefined)
      .map((slot) => ({ ...slot.count, ...(slot.count.detections ? { detections: { ...slot.count.detections } } : {}) }));
  }
}
