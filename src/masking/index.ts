// PHI masking: pure strategies, content detectors and result-set plans (docs/masking.md).
export { MaskingEngine } from './engine.js';
export { MaskingRules, type ColumnDecision, type ColumnPlan, type ColumnRef, type MaskingPlan, type PlanColumn, type PlanContext, type PrivilegedColumn } from './plan.js';
export { RowMasker, type MaskedColumnCount } from './row-masker.js';
export { maskingRowTransform } from './row-transform.js';
export { ContentScanner, addDictionaryWords, type Span } from './scanner.js';
export { builtinDetectors, builtinDetectorNames, luhn, type Detector } from './detectors.js';
export { buildMaskFn, type MaskFn, type StrategyDeps } from './strategies.js';
export { derivedStrategy, strictness } from './strictness.js';
export { keepsTypeValid, mysqlValueType, pgBinaryCellHandling, pgValueType, type ValueType } from './value-types.js';
