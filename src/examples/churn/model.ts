/**
 * The churn model as model.json holds it, its validation and its scoring: the reference that the
 * Rust function and its Node and Python twins are compared against. Scoring follows the
 * contract's order of floating-point operations exactly, so the runtimes agree to the last bits.
 */
import {
  BOOLEAN_FEATURES,
  CATEGORICAL_FEATURES,
  CATEGORY_LEVELS,
  NUMERIC_FEATURES,
  type BooleanFeature,
  type CategoricalFeature,
  type CustomerRecord,
  type NumericFeature,
} from './data.js';

export interface NumericTerm {
  feature: NumericFeature;
  mean: number;
  std: number;
  weight: number;
}

export interface BooleanTerm {
  feature: BooleanFeature;
  weight: number;
}

export interface CategoricalTerm {
  feature: CategoricalFeature;
  /** Every level of the feature → its weight; the baseline level's is 0. */
  weights: Record<string, number>;
}

export interface Model {
  model?: string;
  version: string;
  threshold: number;
  intercept: number;
  numeric: NumericTerm[];
  boolean: BooleanTerm[];
  categorical: CategoricalTerm[];
  /** Informational: how the model was trained. Not validated. */
  training?: unknown;
}

export type Label = 'churn' | 'stay';

export interface Score {
  probability: number;
  label: Label;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function invalid(message: string): never {
  throw new Error(`invalid churn model: ${message}`);
}

function finite(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    invalid(`${where} must be a finite number, got ${JSON.stringify(value) ?? String(value)}`);
  return value;
}

/** The section's entries, each an object with a known feature of its kind, each feature once. */
function section(json: Record<string, unknown>, kind: string, features: readonly string[]): Record<string, unknown>[] {
  const entries = json[kind];
  if (!Array.isArray(entries)) invalid(`"${kind}" must be an array`);
  const seen = new Set<string>();
  for (const [i, entry] of entries.entries()) {
    if (!isObject(entry)) invalid(`${kind}[${i}] must be an object`);
    const feature = entry.feature;
    if (typeof feature !== 'string' || !features.includes(feature))
      invalid(`${kind}[${i}]: unknown ${kind} feature ${JSON.stringify(feature) ?? String(feature)}`);
    if (seen.has(feature)) invalid(`${kind} feature "${feature}" is listed twice`);
    seen.add(feature);
  }
  const missing = features.find((feature) => !seen.has(feature));
  if (missing) invalid(`${kind} feature "${missing}" is missing`);
  return entries as Record<string, unknown>[];
}

/** model.json, parsed, checked as the contract asks at init; throws one line naming the problem. */
export function validateModel(json: unknown): Model {
  if (!isObject(json)) invalid('the model must be a JSON object');
  if (typeof json.version !== 'string' || json.version.length === 0) invalid('"version" must be a non-empty string');
  const threshold = finite(json.threshold, '"threshold"');
  if (!(threshold > 0 && threshold < 1)) invalid(`"threshold" must be between 0 and 1 (exclusive), got ${threshold}`);
  finite(json.intercept, '"intercept"');

  for (const entry of section(json, 'numeric', NUMERIC_FEATURES)) {
    const where = `numeric "${entry.feature}"`;
    finite(entry.mean, `${where} mean`);
    if (!(finite(entry.std, `${where} std`) > 0)) invalid(`${where} std must be > 0, got ${entry.std}`);
    finite(entry.weight, `${where} weight`);
  }
  for (const entry of section(json, 'boolean', BOOLEAN_FEATURES)) finite(entry.weight, `boolean "${entry.feature}" weight`);
  for (const entry of section(json, 'categorical', CATEGORICAL_FEATURES)) {
    const feature = entry.feature as CategoricalFeature;
    const weights = entry.weights;
    if (!isObject(weights)) invalid(`categorical "${feature}" weights must be an object`);
    const levels = CATEGORY_LEVELS[feature];
    const extra = Object.keys(weights).find((level) => !levels.includes(level));
    if (extra !== undefined) invalid(`categorical "${feature}" has unknown level "${extra}"`);
    const missing = levels.find((level) => !Object.hasOwn(weights, level));
    if (missing !== undefined) invalid(`categorical "${feature}" is missing level "${missing}"`);
    for (const level of levels) finite(weights[level], `categorical "${feature}" weight of "${level}"`);
  }
  return json as unknown as Model;
}

/** The contract's scoring, operation for operation. The record is assumed valid. */
export function score(model: Model, record: CustomerRecord): Score {
  let z = model.intercept;
  for (const n of model.numeric) z += n.weight * ((record[n.feature] - n.mean) / n.std);
  for (const b of model.boolean) if (record[b.feature]) z += b.weight;
  for (const c of model.categorical) {
    const level = record[c.feature];
    if (!Object.hasOwn(c.weights, level)) throw new Error(`${c.feature}: unknown level "${level}"`);
    z += c.weights[level]!;
  }
  const probability = 1 / (1 + Math.exp(-z));
  return { probability, label: probability >= model.threshold ? 'churn' : 'stay' };
}

/** The SQS message body for a record: the contract's keys, in its order, no whitespace. */
export function predictionMessage(model: Model, record: CustomerRecord): string {
  const { probability, label } = score(model, record);
  return JSON.stringify({ customer_id: record.customer_id, probability, label, model_version: model.version });
}
