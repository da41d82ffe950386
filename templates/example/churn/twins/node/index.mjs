// Churn prediction, the Node.js twin of the Rust function: scores each customer of a Kinesis
// batch with the logistic-regression model in model.json and sends every prediction to SQS.
// Same model, same order of arithmetic, same messages: only the runtime differs.
import { readFileSync } from 'node:fs';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';

const NUMERIC = ['tenure_months', 'monthly_charges', 'total_charges', 'support_calls', 'num_services'];
const BOOLEAN = ['senior_citizen', 'paperless_billing'];
const LEVELS = {
  contract: ['month-to-month', 'one-year', 'two-year'],
  payment_method: ['electronic-check', 'mailed-check', 'bank-transfer', 'credit-card'],
  internet_service: ['fiber-optic', 'dsl', 'none'],
};
/** The smallest value of each numeric field; the counts among them must be integers. */
const MINIMUM = { tenure_months: 0, monthly_charges: 0, total_charges: 0, support_calls: 0, num_services: 1 };
const COUNTS = new Set(['tenure_months', 'support_calls', 'num_services']);

/** SendMessageBatch takes at most 10 entries, and at most 10 requests go out at once. */
const CHUNK_SIZE = 10;
const MAX_IN_FLIGHT = 10;

// Init once: the model, the queue and the client live as long as the execution environment and
// every invocation reuses them. A bad model or a missing queue fails the init, not each record.
const model = loadModel(new URL('./model.json', import.meta.url));
const queueUrl = process.env.QUEUE_URL;
if (!queueUrl) {
  throw new Error('environment variable QUEUE_URL is not set: template.yaml sets it for the deployed function; set it yourself when running locally');
}
// Region, credentials and AWS_ENDPOINT_URL (for local emulators) come from the environment.
const sqs = new SQSClient({});

export const handler = async (event) => {
  const records = event.Records;
  const failed = new Set();
  const fail = (index, reason) => {
    failed.add(index);
    console.warn(`record ${records[index].kinesis.sequenceNumber} failed: ${reason}`);
  };

  const entries = [];
  records.forEach((record, index) => {
    const { customer, problem } = readCustomer(record.kinesis.data);
    if (problem) fail(index, `invalid record: ${problem}`);
    else entries.push({ Id: String(index), MessageBody: predictionMessage(customer) });
  });

  const chunks = [];
  for (let start = 0; start < entries.length; start += CHUNK_SIZE) chunks.push(entries.slice(start, start + CHUNK_SIZE));
  // A few workers take the chunks in turn: never more than MAX_IN_FLIGHT requests at once.
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) await sendChunk(chunks[next++], fail);
  };
  await Promise.all(Array.from({ length: Math.min(MAX_IN_FLIGHT, chunks.length) }, worker));

  // Lambda retries the shard from the lowest failed sequence number: report them in record order.
  const batchItemFailures = records
    .filter((_, index) => failed.has(index))
    .map((record) => ({ itemIdentifier: record.kinesis.sequenceNumber }));
  return { batchItemFailures };
};

/** Sends one chunk; an entry SQS rejects fails its record, a failed request all of them. */
async function sendChunk(entries, fail) {
  try {
    const { Failed = [] } = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
    for (const entry of Failed) fail(Number(entry.Id), `SQS rejected it: ${entry.Code}: ${entry.Message}`);
  } catch (error) {
    for (const entry of entries) fail(Number(entry.Id), `SendMessageBatch failed: ${error.name}: ${error.message}`);
  }
}

/** The message body: the contract's keys in its order (JSON.stringify keeps insertion order). */
function predictionMessage(customer) {
  let z = model.intercept;
  for (const n of model.numeric) z += n.weight * ((customer[n.feature] - n.mean) / n.std);
  for (const b of model.boolean) if (customer[b.feature]) z += b.weight;
  for (const c of model.categorical) z += c.weights[customer[c.feature]];
  const probability = 1 / (1 + Math.exp(-z));
  const label = probability >= model.threshold ? 'churn' : 'stay';
  return JSON.stringify({ customer_id: customer.customer_id, probability, label, model_version: model.version });
}

/** A record's base64 data as a customer, or the problem that makes it invalid. */
function readCustomer(data) {
  let customer;
  try {
    customer = JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
  } catch (error) {
    return { problem: `not JSON: ${error.message}` };
  }
  return { customer, problem: customerProblem(customer) };
}

function customerProblem(c) {
  if (!isObject(c)) return 'not a JSON object';
  if (typeof c.customer_id !== 'string' || c.customer_id === '') return 'customer_id must be a non-empty string';
  for (const field of NUMERIC) {
    const value = c[field];
    const count = COUNTS.has(field);
    if (!(count ? Number.isInteger(value) : Number.isFinite(value)) || value < MINIMUM[field]) {
      return `${field} must be ${count ? 'an integer' : 'a number'} >= ${MINIMUM[field]}`;
    }
  }
  for (const field of BOOLEAN) if (typeof c[field] !== 'boolean') return `${field} must be true or false`;
  for (const [field, levels] of Object.entries(LEVELS)) {
    if (!levels.includes(c[field])) return `${field} must be one of ${levels.join(', ')}`;
  }
  return undefined;
}

/** model.json, checked as the contract asks; throws one line naming the first problem. */
function loadModel(url) {
  let m;
  try {
    m = JSON.parse(readFileSync(url, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the churn model ${url.pathname}: ${error.message}`);
  }
  const problem = modelProblem(m);
  if (problem) throw new Error(`invalid churn model ${url.pathname}: ${problem}`);
  return m;
}

function modelProblem(m) {
  if (!isObject(m)) return 'not a JSON object';
  if (typeof m.version !== 'string' || m.version === '') return '"version" must be a non-empty string';
  if (!(Number.isFinite(m.threshold) && m.threshold > 0 && m.threshold < 1)) return '"threshold" must be a number between 0 and 1 (exclusive)';
  if (!Number.isFinite(m.intercept)) return '"intercept" must be a finite number';
  return (
    sectionProblem(m, 'numeric', NUMERIC, (n) =>
      [n.mean, n.std, n.weight].every(Number.isFinite) && n.std > 0 ? undefined : 'mean, std and weight must be finite numbers, std > 0',
    ) ??
    sectionProblem(m, 'boolean', BOOLEAN, (b) => (Number.isFinite(b.weight) ? undefined : 'weight must be a finite number')) ??
    sectionProblem(m, 'categorical', Object.keys(LEVELS), (c) => {
      const levels = LEVELS[c.feature];
      const ok = isObject(c.weights) && sameMembers(Object.keys(c.weights), levels) && levels.every((level) => Number.isFinite(c.weights[level]));
      return ok ? undefined : `weights must give a finite number for each of ${levels.join(', ')}, and nothing else`;
    })
  );
}

/** model[section] lists each of `features` once; `check` says what else is wrong with an entry. */
function sectionProblem(m, section, features, check) {
  const entries = m[section];
  if (!Array.isArray(entries) || !sameMembers(entries.map((entry) => entry?.feature), features)) {
    return `"${section}" must list each of ${features.join(', ')} once`;
  }
  for (const entry of entries) {
    const problem = check(entry);
    if (problem) return `${section} "${entry.feature}": ${problem}`;
  }
  return undefined;
}

/** Same length and every wanted value present: with distinct `wanted`, each is there exactly once. */
function sameMembers(values, wanted) {
  return values.length === wanted.length && wanted.every((value) => values.includes(value));
}

function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
