/**
 * The churn example's synthetic customers: deterministic for a seed, so the trainer, the tests
 * and the bench all see the same data without shipping any. Records have exactly the shape of
 * the contract's Kinesis record. The "true" churn label comes from a hidden logistic process
 * (with a non-linear tenure effect the model cannot fit exactly) and is drawn from a separate
 * random stream, so a record is the same whether or not its label is asked for.
 */

export const CONTRACTS = ['month-to-month', 'one-year', 'two-year'] as const;
export const PAYMENT_METHODS = ['electronic-check', 'mailed-check', 'bank-transfer', 'credit-card'] as const;
export const INTERNET_SERVICES = ['fiber-optic', 'dsl', 'none'] as const;

export type Contract = (typeof CONTRACTS)[number];
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
export type InternetService = (typeof INTERNET_SERVICES)[number];

/** The model's features, by kind, in the order model.json lists them. */
export const NUMERIC_FEATURES = ['tenure_months', 'monthly_charges', 'total_charges', 'support_calls', 'num_services'] as const;
export const BOOLEAN_FEATURES = ['senior_citizen', 'paperless_billing'] as const;
export const CATEGORICAL_FEATURES = ['contract', 'payment_method', 'internet_service'] as const;

export type NumericFeature = (typeof NUMERIC_FEATURES)[number];
export type BooleanFeature = (typeof BOOLEAN_FEATURES)[number];
export type CategoricalFeature = (typeof CATEGORICAL_FEATURES)[number];

/** Each categorical feature's levels; the first is the model's baseline. */
export const CATEGORY_LEVELS: { readonly [F in CategoricalFeature]: readonly string[] } = {
  contract: CONTRACTS,
  payment_method: PAYMENT_METHODS,
  internet_service: INTERNET_SERVICES,
};

/** One Kinesis record's data, field for field as the contract has it. */
export interface CustomerRecord {
  customer_id: string;
  tenure_months: number;
  monthly_charges: number;
  total_charges: number;
  contract: Contract;
  payment_method: PaymentMethod;
  internet_service: InternetService;
  support_calls: number;
  num_services: number;
  senior_citizen: boolean;
  paperless_billing: boolean;
}

export interface LabelledCustomer {
  record: CustomerRecord;
  churned: boolean;
}

/** mulberry32: a tiny, well-known 32-bit generator; uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;

function pick<T>(random: Random, levels: readonly T[], weights: readonly number[]): T {
  let u = random() * weights.reduce((sum, w) => sum + w, 0);
  for (let i = 0; i < levels.length; i++) {
    u -= weights[i]!;
    if (u < 0) return levels[i]!;
  }
  return levels.at(-1)!;
}

/** Box–Muller; one of the pair is enough here. */
function normal(random: Random): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Knuth's method: fine for the small means of support calls. */
function poisson(random: Random, mean: number): number {
  const limit = Math.exp(-mean);
  let count = 0;
  for (let p = random(); p > limit; p *= random()) count++;
  return count;
}

function binomial(random: Random, trials: number, p: number): number {
  let count = 0;
  for (let i = 0; i < trials; i++) if (random() < p) count++;
  return count;
}

const cents = (x: number) => Math.round(x * 100) / 100;
const clamp = (x: number, low: number, high: number) => Math.min(high, Math.max(low, x));

/** Longer contracts go with longer tenure: month-to-month customers are mostly new. */
const TENURE_SKEW: Record<Contract, number> = { 'month-to-month': 1.8, 'one-year': 0.9, 'two-year': 0.5 };
/** Electronic check is the month-to-month habit; automatic payments come with commitment. */
const PAYMENT_WEIGHTS: Record<Contract, number[]> = {
  'month-to-month': [0.45, 0.22, 0.17, 0.16],
  'one-year': [0.2, 0.22, 0.29, 0.29],
  'two-year': [0.12, 0.22, 0.33, 0.33],
};
const PAPERLESS_RATE: Record<InternetService, number> = { 'fiber-optic': 0.72, dsl: 0.52, none: 0.3 };

function customer(random: Random, index: number): CustomerRecord {
  const contract = pick(random, CONTRACTS, [0.55, 0.21, 0.24]);
  const tenure = Math.min(72, Math.floor(73 * random() ** TENURE_SKEW[contract]));
  const internet = pick(random, INTERNET_SERVICES, [0.44, 0.34, 0.22]);
  const loyalty = 0.25 + (0.35 * tenure) / 72;
  const services =
    internet === 'none'
      ? 1 + binomial(random, 2, 0.3)
      : internet === 'dsl'
        ? 1 + binomial(random, 5, loyalty)
        : 2 + binomial(random, 6, loyalty);
  const base =
    internet === 'none' ? 18 + 2.5 * (services - 1) + 4 * random() : (internet === 'dsl' ? 25 : 62) + 6.5 * services + 3 * normal(random);
  const monthly = cents(clamp(base, 18, 120));
  const total = tenure === 0 ? 0 : cents(Math.max(0, tenure * monthly * (1 + 0.04 * normal(random))));
  const senior = random() < 0.16;
  return {
    customer_id: `C-${String(index + 1).padStart(6, '0')}`,
    tenure_months: tenure,
    monthly_charges: monthly,
    total_charges: total,
    contract,
    payment_method: pick(random, PAYMENT_METHODS, PAYMENT_WEIGHTS[contract]),
    internet_service: internet,
    support_calls: poisson(random, 0.9 + (internet === 'fiber-optic' ? 0.5 : 0) + (senior ? 0.3 : 0)),
    num_services: services,
    senior_citizen: senior,
    paperless_billing: random() < PAPERLESS_RATE[internet],
  };
}

const TRUE_CONTRACT: Record<Contract, number> = { 'month-to-month': 0, 'one-year': -1.1, 'two-year': -2.2 };
const TRUE_PAYMENT: Record<PaymentMethod, number> = {
  'electronic-check': 0.55,
  'mailed-check': 0.05,
  'bank-transfer': -0.1,
  'credit-card': -0.15,
};
const TRUE_INTERNET: Record<InternetService, number> = { 'fiber-optic': 0.6, dsl: -0.1, none: -0.6 };

/** The hidden log-odds of churning: what the model tries to recover from the records alone. */
function trueLogOdds(r: CustomerRecord): number {
  return (
    -0.6 -
    0.04 * r.tenure_months +
    0.9 * Math.exp(-r.tenure_months / 6) +
    0.015 * (r.monthly_charges - 65) +
    TRUE_CONTRACT[r.contract] +
    TRUE_PAYMENT[r.payment_method] +
    TRUE_INTERNET[r.internet_service] +
    0.3 * r.support_calls -
    0.12 * (r.num_services - 3) +
    (r.senior_citizen ? 0.35 : 0) +
    (r.paperless_billing ? 0.3 : 0)
  );
}

function checkArguments(count: number, seed: number): void {
  if (!Number.isSafeInteger(count) || count < 0) throw new Error(`count must be a non-negative integer, got ${count}`);
  if (!Number.isSafeInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
}

/** `count` customer records for `seed`; customer ids C-000001, C-000002, … */
export function generateCustomers(count: number, seed: number): CustomerRecord[] {
  checkArguments(count, seed);
  const random = mulberry32(seed);
  return Array.from({ length: count }, (_, i) => customer(random, i));
}

/** The same records as generateCustomers(count, seed), each with its drawn churn outcome. */
export function generateLabelledCustomers(count: number, seed: number): LabelledCustomer[] {
  const outcomes = mulberry32(seed ^ 0x9e3779b9);
  return generateCustomers(count, seed).map((record) => ({
    record,
    churned: outcomes() < 1 / (1 + Math.exp(-trueLogOdds(record))),
  }));
}
