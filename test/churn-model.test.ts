/**
 * The churn example's data, model and trainer: the synthetic customers keep the contract's
 * record shape, the shipped model.json is exactly what training writes (and as good as it says),
 * validation rejects what the contract rejects, and scoring is the contract's formula.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  BOOLEAN_FEATURES,
  CATEGORICAL_FEATURES,
  CATEGORY_LEVELS,
  CONTRACTS,
  INTERNET_SERVICES,
  NUMERIC_FEATURES,
  PAYMENT_METHODS,
  generateCustomers,
  generateLabelledCustomers,
  type CustomerRecord,
} from '../src/examples/churn/data.js';
import { predictionMessage, score, validateModel, type Model } from '../src/examples/churn/model.js';
import { MODEL_PATH, ROWS, SEED, TEST_ROWS, auc, evaluate, modelFileText, trainChurnModel } from '../src/examples/churn/train.js';

const shippedText = readFileSync(fileURLToPath(new URL(`../${MODEL_PATH}`, import.meta.url)), 'utf8');
const shipped = () => JSON.parse(shippedText) as Record<string, any>;

const isCents = (x: number) => Math.round(x * 100) / 100 === x;

/** Everything the contract asks of a record, as a list of problems (empty when it is valid). */
function recordProblems(r: CustomerRecord): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => ok || problems.push(`${r.customer_id}: ${what}`);
  check(Object.keys(r).length === 11, 'exactly the 11 contract fields');
  check(/^C-\d{6}$/.test(r.customer_id), 'customer_id like C-000042');
  check(Number.isInteger(r.tenure_months) && r.tenure_months >= 0 && r.tenure_months <= 72, 'tenure 0..72');
  check(r.monthly_charges >= 18 && r.monthly_charges <= 120 && isCents(r.monthly_charges), 'monthly charges 18..120 in cents');
  check(r.total_charges >= 0 && isCents(r.total_charges), 'total charges >= 0 in cents');
  check((r.tenure_months === 0) === (r.total_charges === 0), 'total charges 0 exactly when tenure is 0');
  if (r.tenure_months > 0) check(Math.abs(r.total_charges / (r.tenure_months * r.monthly_charges) - 1) < 0.25, 'total ≈ tenure × monthly');
  check((CONTRACTS as readonly string[]).includes(r.contract), 'contract level');
  check((PAYMENT_METHODS as readonly string[]).includes(r.payment_method), 'payment method level');
  check((INTERNET_SERVICES as readonly string[]).includes(r.internet_service), 'internet service level');
  check(Number.isInteger(r.support_calls) && r.support_calls >= 0, 'support calls a non-negative integer');
  check(Number.isInteger(r.num_services) && r.num_services >= 1 && r.num_services <= 8, 'num services 1..8');
  check(typeof r.senior_citizen === 'boolean' && typeof r.paperless_billing === 'boolean', 'booleans');
  return problems;
}

describe('synthetic customers', () => {
  it('are the same for a seed and differ between seeds', () => {
    expect(generateCustomers(300, 7)).toEqual(generateCustomers(300, 7));
    expect(generateCustomers(300, 8)).not.toEqual(generateCustomers(300, 7));
    expect(generateCustomers(0, 7)).toEqual([]);
  });

  it('labelled generation draws the very same records', () => {
    expect(generateLabelledCustomers(300, 7).map((row) => row.record)).toEqual(generateCustomers(300, 7));
    expect(generateLabelledCustomers(300, 7)).toEqual(generateLabelledCustomers(300, 7));
  });

  it('every record satisfies the contract, with unique ids and every level present', () => {
    const records = generateCustomers(5000, SEED);
    expect(records.flatMap(recordProblems)).toEqual([]);
    expect(new Set(records.map((r) => r.customer_id)).size).toBe(records.length);
    expect(records[41]!.customer_id).toBe('C-000042');
    for (const feature of CATEGORICAL_FEATURES) {
      expect(new Set(records.map((r) => r[feature]))).toEqual(new Set(CATEGORY_LEVELS[feature]));
    }
    const share = (level: string) => records.filter((r) => r.contract === level).length / records.length;
    expect(share('month-to-month')).toBeGreaterThan(Math.max(share('one-year'), share('two-year')));
  });

  it('churn is a plausible minority outcome', () => {
    const rows = generateLabelledCustomers(ROWS, SEED);
    const rate = rows.filter((row) => row.churned).length / rows.length;
    expect(rate).toBeGreaterThan(0.15);
    expect(rate).toBeLessThan(0.4);
  });

  it('rejects counts and seeds that are not integers', () => {
    expect(() => generateCustomers(-1, 1)).toThrow(/count/);
    expect(() => generateCustomers(2.5, 1)).toThrow(/count/);
    expect(() => generateCustomers(1, Number.NaN)).toThrow(/seed/);
  });
});

describe('training', () => {
  const { file, evaluation } = trainChurnModel();

  it('reproduces the shipped model.json byte for byte', () => {
    expect(modelFileText(file)).toBe(shippedText);
  });

  it('the figures in the file are a fresh evaluation of the file, and good ones', () => {
    const model = validateModel(shipped());
    const test = generateLabelledCustomers(ROWS, SEED).slice(ROWS - TEST_ROWS);
    const fresh = evaluate(model, test);
    const training = shipped().training;
    expect(training).toEqual({
      seed: SEED,
      train_rows: ROWS - TEST_ROWS,
      test_rows: TEST_ROWS,
      accuracy: expect.any(Number),
      auc: expect.any(Number),
    });
    expect(training.accuracy).toBe(Math.round(fresh.accuracy * 1e4) / 1e4);
    expect(training.auc).toBe(Math.round(fresh.auc * 1e4) / 1e4);
    expect(fresh).toEqual(evaluation);
    expect(fresh.auc).toBeGreaterThan(0.75);
    expect(fresh.accuracy).toBeGreaterThan(fresh.majorityRate + 0.05);
  });

  it('the file has the contract shape: every feature in order, every level, the baseline at 0', () => {
    const json = shipped();
    expect(Object.keys(json)).toEqual(['model', 'version', 'threshold', 'intercept', 'numeric', 'boolean', 'categorical', 'training']);
    expect([json.model, json.version, json.threshold]).toEqual(['churn-logistic-regression', '2026.11.0', 0.5]);
    expect(json.numeric.map((n: any) => n.feature)).toEqual(NUMERIC_FEATURES);
    expect(json.boolean.map((b: any) => b.feature)).toEqual(BOOLEAN_FEATURES);
    expect(json.categorical.map((c: any) => c.feature)).toEqual(CATEGORICAL_FEATURES);
    for (const c of json.categorical) {
      expect(Object.keys(c.weights)).toEqual(CATEGORY_LEVELS[c.feature as keyof typeof CATEGORY_LEVELS]);
      expect(Object.values(c.weights)[0]).toBe(0);
    }
    // The ground truth's directions: the model should have found them.
    const weight = (feature: string) => json.numeric.find((n: any) => n.feature === feature).weight;
    expect(weight('tenure_months')).toBeLessThan(0);
    expect(weight('support_calls')).toBeGreaterThan(0);
    expect(json.categorical[0].weights['two-year']).toBeLessThan(json.categorical[0].weights['one-year']);
  });

  it('auc is the rank statistic, ties counting a half', () => {
    expect(auc([0.1, 0.2, 0.8, 0.9], [false, false, true, true])).toBe(1);
    expect(auc([0.1, 0.2, 0.8, 0.9], [true, true, false, false])).toBe(0);
    expect(auc([0.5, 0.5, 0.5], [true, false, false])).toBe(0.5);
    // Positives 0.4 and 0.8 against negatives 0.1 and 0.4: 1 + 0.5 + 1 + 1 of 4 pairs.
    expect(auc([0.4, 0.1, 0.8, 0.4], [true, false, true, false])).toBe(0.875);
    expect(() => auc([0.3, 0.7], [true, true])).toThrow(/both outcomes/);
  });
});

describe('validateModel', () => {
  it('accepts the shipped model', () => {
    expect(validateModel(shipped()).version).toBe('2026.11.0');
  });

  const broken: [string, (m: Record<string, any>) => void, RegExp][] = [
    ['a missing numeric feature', (m) => m.numeric.splice(3, 1), /numeric feature "support_calls" is missing/],
    ['a duplicate boolean feature', (m) => m.boolean.push({ ...m.boolean[0] }), /boolean feature "senior_citizen" is listed twice/],
    ['an unknown feature', (m) => (m.numeric[0].feature = 'age'), /unknown numeric feature "age"/],
    ['a numeric feature among the booleans', (m) => (m.boolean[0].feature = 'tenure_months'), /unknown boolean feature "tenure_months"/],
    ['a missing categorical section', (m) => delete m.categorical, /"categorical" must be an array/],
    ['std 0', (m) => (m.numeric[1].std = 0), /numeric "monthly_charges" std must be > 0/],
    ['a negative std', (m) => (m.numeric[1].std = -2), /numeric "monthly_charges" std must be > 0/],
    ['a string weight', (m) => (m.numeric[0].weight = '0.3'), /numeric "tenure_months" weight must be a finite number, got "0.3"/],
    ['a null weight', (m) => (m.boolean[1].weight = null), /boolean "paperless_billing" weight must be a finite number, got null/],
    ['a NaN mean', (m) => (m.numeric[2].mean = Number.NaN), /numeric "total_charges" mean must be a finite number/],
    ['an infinite intercept', (m) => (m.intercept = Number.POSITIVE_INFINITY), /"intercept" must be a finite number/],
    [
      'a null level weight',
      (m) => (m.categorical[1].weights['credit-card'] = null),
      /categorical "payment_method" weight of "credit-card" must be a finite number/,
    ],
    ['threshold 0', (m) => (m.threshold = 0), /"threshold" must be between 0 and 1/],
    ['threshold 1', (m) => (m.threshold = 1), /"threshold" must be between 0 and 1/],
    ['a string threshold', (m) => (m.threshold = '0.5'), /"threshold" must be a finite number/],
    ['an empty version', (m) => (m.version = ''), /"version" must be a non-empty string/],
    ['no version', (m) => delete m.version, /"version" must be a non-empty string/],
    [
      'a categorical missing a level',
      (m) => delete m.categorical[0].weights['two-year'],
      /categorical "contract" is missing level "two-year"/,
    ],
    [
      'a categorical with an extra level',
      (m) => (m.categorical[2].weights.satellite = 0.1),
      /categorical "internet_service" has unknown level "satellite"/,
    ],
    [
      'categorical weights that are not an object',
      (m) => (m.categorical[0].weights = [0, 1, 2]),
      /categorical "contract" weights must be an object/,
    ],
  ];
  it.each(broken)('rejects %s, saying so in one line', (_, breakIt, message) => {
    const json = shipped();
    breakIt(json);
    expect(() => validateModel(json)).toThrow(message);
    expect(() => validateModel(json)).toThrow(/^invalid churn model: [^\n]+$/);
  });

  it('rejects what is not an object', () => {
    for (const json of [null, [], 'model', 3]) expect(() => validateModel(json)).toThrow(/must be a JSON object/);
  });

  it('ignores "training", which is informational', () => {
    expect(() => validateModel({ ...shipped(), training: 'anything' })).not.toThrow();
  });
});

describe('scoring', () => {
  // Dyadic numbers, so the sum below is exact and the hand computation is too.
  const model: Model = validateModel({
    version: 'test-1',
    threshold: 0.5,
    intercept: -1,
    numeric: [
      { feature: 'tenure_months', mean: 24, std: 12, weight: -0.5 },
      { feature: 'monthly_charges', mean: 60, std: 20, weight: 0.5 },
      { feature: 'total_charges', mean: 1000, std: 1000, weight: 0.25 },
      { feature: 'support_calls', mean: 1, std: 2, weight: 0.5 },
      { feature: 'num_services', mean: 3, std: 2, weight: -0.5 },
    ],
    boolean: [
      { feature: 'senior_citizen', weight: 0.5 },
      { feature: 'paperless_billing', weight: 0.125 },
    ],
    categorical: [
      { feature: 'contract', weights: { 'month-to-month': 0, 'one-year': -1, 'two-year': -2 } },
      { feature: 'payment_method', weights: { 'electronic-check': 0.25, 'mailed-check': 0, 'bank-transfer': -0.25, 'credit-card': -0.5 } },
      { feature: 'internet_service', weights: { 'fiber-optic': 0.25, dsl: 0, none: -0.25 } },
    ],
  });
  const record: CustomerRecord = {
    customer_id: 'C-000042',
    tenure_months: 12,
    monthly_charges: 80,
    total_charges: 1500,
    contract: 'one-year',
    payment_method: 'electronic-check',
    internet_service: 'fiber-optic',
    support_calls: 3,
    num_services: 5,
    senior_citizen: false,
    paperless_billing: true,
  };

  it('matches a hand computation', () => {
    // z = -1 + 0.5 + 0.5 + 0.125 + 0.5 - 0.5 (numerics) + 0.125 (paperless) - 1 + 0.25 + 0.25 = -0.25
    const { probability, label } = score(model, record);
    expect(probability).toBeCloseTo(0.43782349911420193, 15);
    expect(label).toBe('stay');
    expect(score({ ...model, threshold: 0.4 }, record).label).toBe('churn');
  });

  it('a probability equal to the threshold is churn', () => {
    // Senior (+0.5) and mailed check (0 instead of 0.25) bring z to exactly 0: probability 0.5.
    const even = { ...record, senior_citizen: true, payment_method: 'mailed-check' as const };
    expect(score(model, even)).toEqual({ probability: 0.5, label: 'churn' });
    expect(predictionMessage(model, even)).toBe('{"customer_id":"C-000042","probability":0.5,"label":"churn","model_version":"test-1"}');
  });

  it('predictionMessage: the contract keys in order, shortest round-trip probability', () => {
    const text = predictionMessage(model, record);
    expect(text).toBe(
      `{"customer_id":"C-000042","probability":${score(model, record).probability},"label":"stay","model_version":"test-1"}`,
    );
    const shippedModel = validateModel(shipped());
    const customer = generateCustomers(1, SEED)[0]!;
    const message = JSON.parse(predictionMessage(shippedModel, customer));
    expect(Object.keys(message)).toEqual(['customer_id', 'probability', 'label', 'model_version']);
    expect(message).toEqual({ customer_id: 'C-000001', ...score(shippedModel, customer), model_version: '2026.11.0' });
  });

  it('refuses a level the model does not know rather than scoring NaN', () => {
    expect(() => score(model, { ...record, contract: 'three-year' as never })).toThrow(/contract: unknown level "three-year"/);
  });
});
