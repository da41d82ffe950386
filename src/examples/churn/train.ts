/**
 * npm run train:churn [-- --check]
 *
 * Trains the churn example's logistic regression on its synthetic customers and writes
 * templates/example/churn/model.json. Newton's method with L2 regularisation from zero weights,
 * a fixed number of iterations: no randomness beyond the seeded data, so the file is the same on
 * every run and `--check` (run by the tests, too) can say when it is stale.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseCommandLine } from '../../command-line.js';
import { EXIT, UserError, runMain, usageError } from '../../errors.js';
import {
  BOOLEAN_FEATURES,
  CATEGORICAL_FEATURES,
  CATEGORY_LEVELS,
  NUMERIC_FEATURES,
  generateLabelledCustomers,
  type CustomerRecord,
  type LabelledCustomer,
} from './data.js';
import { score, type Model } from './model.js';

const PROGRAM = 'train:churn';
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const MODEL_PATH = 'templates/example/churn/model.json';

export const SEED = 2026;
export const ROWS = 20_000;
/** The last fifth is held out for the reported figures. */
export const TEST_ROWS = 4_000;
const ITERATIONS = 20;
const L2 = 1;

export interface TrainingSummary {
  seed: number;
  train_rows: number;
  test_rows: number;
  accuracy: number;
  auc: number;
}

export type TrainedModel = Model & { model: string };
export type ChurnModelFile = TrainedModel & { training: TrainingSummary };

export interface Evaluation {
  rows: number;
  accuracy: number;
  auc: number;
  /** The accuracy of always answering the commoner outcome: the bar to clear. */
  majorityRate: number;
}

/** Twelve significant digits: far below what matters, and the file stays byte-stable. */
const significant = (x: number) => Number(x.toPrecision(12));
const decimals4 = (x: number) => Math.round(x * 1e4) / 1e4;
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** The train split's mean and population standard deviation, rounded as the file holds them. */
function standardization(records: readonly CustomerRecord[]) {
  return NUMERIC_FEATURES.map((feature) => {
    const mean = records.reduce((sum, r) => sum + r[feature], 0) / records.length;
    const variance = records.reduce((sum, r) => sum + (r[feature] - mean) ** 2, 0) / records.length;
    return { feature, mean: significant(mean), std: significant(Math.sqrt(variance)) };
  });
}

type Standardization = ReturnType<typeof standardization>;

/** 1 (the intercept), standardized numerics, booleans as 0/1, one-hot levels past the baseline. */
function encode(record: CustomerRecord, stats: Standardization): number[] {
  const x = [1];
  for (const { feature, mean, std } of stats) x.push((record[feature] - mean) / std);
  for (const feature of BOOLEAN_FEATURES) x.push(record[feature] ? 1 : 0);
  for (const feature of CATEGORICAL_FEATURES) {
    for (const level of CATEGORY_LEVELS[feature].slice(1)) x.push(record[feature] === level ? 1 : 0);
  }
  return x;
}

/** Solves A x = b by Gaussian elimination with partial pivoting (A is small and positive definite). */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    for (let r = col + 1; r < n; r++) {
      const f = m[r]![col]! / m[col]![col]!;
      for (let c = col; c <= n; c++) m[r]![c]! -= f * m[col]![c]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let sum = m[r]![n]!;
    for (let c = r + 1; c < n; c++) sum -= m[r]![c]! * x[c]!;
    x[r] = sum / m[r]![r]!;
  }
  return x;
}

/** Newton steps on the L2-penalised log-loss (the intercept is not penalised). */
function fitWeights(xs: readonly number[][], ys: readonly boolean[]): number[] {
  const p = xs[0]!.length;
  const beta = new Array<number>(p).fill(0);
  for (let iteration = 0; iteration < ITERATIONS; iteration++) {
    const gradient = beta.map((b, j) => (j === 0 ? 0 : L2 * b));
    const hessian = beta.map((_, j) => beta.map((_, k) => (j === k && j > 0 ? L2 : 0)));
    xs.forEach((x, i) => {
      const prob = sigmoid(x.reduce((z, xj, j) => z + xj * beta[j]!, 0));
      const w = prob * (1 - prob);
      const residual = prob - (ys[i] ? 1 : 0);
      for (let j = 0; j < p; j++) {
        gradient[j]! += residual * x[j]!;
        const row = hessian[j]!;
        for (let k = 0; k <= j; k++) row[k]! += w * x[j]! * x[k]!;
      }
    });
    for (let j = 0; j < p; j++) for (let k = j + 1; k < p; k++) hessian[j]![k] = hessian[k]![j]!;
    const step = solve(hessian, gradient);
    for (let j = 0; j < p; j++) beta[j]! -= step[j]!;
  }
  return beta;
}

/** A model, as model.json holds it (without "training"), fitted to these customers. */
export function train(rows: readonly LabelledCustomer[]): TrainedModel {
  const stats = standardization(rows.map((row) => row.record));
  const beta = fitWeights(
    rows.map((row) => encode(row.record, stats)),
    rows.map((row) => row.churned),
  ).map(significant);
  let j = 1;
  const next = () => beta[j++]!;
  return {
    model: 'churn-logistic-regression',
    version: '2026.11.0',
    threshold: 0.5,
    intercept: beta[0]!,
    numeric: stats.map((s) => ({ ...s, weight: next() })),
    boolean: BOOLEAN_FEATURES.map((feature) => ({ feature, weight: next() })),
    categorical: CATEGORICAL_FEATURES.map((feature) => ({
      feature,
      weights: Object.fromEntries(CATEGORY_LEVELS[feature].map((level, i) => [level, i === 0 ? 0 : next()])),
    })),
  };
}

/** ROC AUC as the rank statistic (Mann–Whitney U), ties counting a half. */
export function auc(probabilities: readonly number[], outcomes: readonly boolean[]): number {
  const order = probabilities.map((_, i) => i).sort((a, b) => probabilities[a]! - probabilities[b]!);
  const positives = outcomes.filter(Boolean).length;
  const negatives = outcomes.length - positives;
  if (positives === 0 || negatives === 0) throw new Error('AUC needs both outcomes');
  let rankSum = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end < order.length && probabilities[order[end]!] === probabilities[order[start]!]) end++;
    const rank = (start + 1 + end) / 2;
    for (let i = start; i < end; i++) if (outcomes[order[i]!]) rankSum += rank;
    start = end;
  }
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export function evaluate(model: Model, rows: readonly LabelledCustomer[]): Evaluation {
  const scores = rows.map((row) => score(model, row.record));
  const outcomes = rows.map((row) => row.churned);
  const correct = scores.filter((s, i) => (s.label === 'churn') === outcomes[i]).length;
  const churned = outcomes.filter(Boolean).length;
  return {
    rows: rows.length,
    accuracy: correct / rows.length,
    auc: auc(
      scores.map((s) => s.probability),
      outcomes,
    ),
    majorityRate: Math.max(churned, rows.length - churned) / rows.length,
  };
}

/** The whole recipe: the data, the split, the fit and its held-out figures. */
export function trainChurnModel(): { file: ChurnModelFile; evaluation: Evaluation } {
  const rows = generateLabelledCustomers(ROWS, SEED);
  const trainRows = rows.slice(0, ROWS - TEST_ROWS);
  const testRows = rows.slice(ROWS - TEST_ROWS);
  const model = train(trainRows);
  const evaluation = evaluate(model, testRows);
  const training = {
    seed: SEED,
    train_rows: trainRows.length,
    test_rows: testRows.length,
    accuracy: decimals4(evaluation.accuracy),
    auc: decimals4(evaluation.auc),
  };
  return { file: { ...model, training }, evaluation };
}

export const modelFileText = (file: ChurnModelFile) => `${JSON.stringify(file, null, 2)}\n`;

const HELP = `Usage: npm run train:churn [-- --check]

Trains the churn example's model on its synthetic customers and writes ${MODEL_PATH}.
  --check   write nothing; exit 1 if the committed file differs from what training writes
`;

async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(PROGRAM, args, { check: { type: 'boolean' }, help: { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw usageError(`unexpected argument '${positionals[0]}'.`, `See ${PROGRAM} --help.`);

  const { file, evaluation } = trainChurnModel();
  const text = modelFileText(file);
  const path = join(ROOT, MODEL_PATH);
  const fixed4 = (x: number) => x.toFixed(4);
  const summary = `trained on ${file.training.train_rows} rows, held out ${evaluation.rows}: accuracy ${fixed4(evaluation.accuracy)} (majority class ${fixed4(evaluation.majorityRate)}), AUC ${fixed4(evaluation.auc)}`;
  if (values.check) {
    let current: string | undefined;
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      current = undefined;
    }
    if (current !== text) {
      throw new UserError(`${MODEL_PATH} ${current === undefined ? 'is missing' : 'differs from what training writes'}.`, {
        hint: 'Run npm run train:churn.',
      });
    }
    process.stdout.write(`${summary}\n${MODEL_PATH} is up to date\n`);
    return EXIT.ok;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  process.stdout.write(`${summary}\nwrote ${MODEL_PATH}\n`);
  return EXIT.ok;
}

const entry = process.argv[1];
if (entry && import.meta.url === pathToFileURL(entry).href) await runMain(PROGRAM, () => main(process.argv.slice(2)));
