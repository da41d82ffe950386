// Churn prediction, the Node.js twin of the Rust function: scores each customer of a Kinesis
// batch with the logistic-regression model in model.json and sends every prediction to SQS.
// Same model, same order of arithmetic, same messages: only the runtime differs.
import { setTimeout as sleep } from 'node:timers/promises';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
// Imported, not read from disk: `sam build` (esbuild) bundles it into index.mjs.
import modelFile from './model.json' with { type: 'json' };

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
/** Counts are u32 in the Rust function: the twins accept the same range. */
const MAX_COUNT = 4294967295;

/** SendMessageBatch takes at most 10 entries, and at most 10 requests go out at once. */
const CHUNK_SIZE = 10;
const MAX_IN_FLIGHT = 10;
/**
 * A message SQS refuses through no fault of ours (throttling, an internal error) is sent up to
 * 3 times in all, 25 ms then 50 ms apart, as the Rust function and the Python twin do.
 */
const ENTRY_ATTEMPTS = 3;
const FIRST_BACKOFF_MS = 25;
/** Record data is UTF-8 JSON, as in the Rust function: a bad byte or a BOM makes it invalid. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// Init once: the model, the queue and the client live as long as the execution environment and
// every invocation reuses them. A bad model or a missing queue fails the init, not each record.
const model = checkedModel(modelFile);
const queueUrl = process.env.QUEUE_URL;
if (!queueUrl) {
  throw new Error('environment variable QUEUE_URL is not set: template.yaml sets it for the deployed function; set it yourself when running locally');
}
// Region, credentials and AWS_ENDPOINT_URL (for local emulators) come from the environment. The
// SDK's default HTTP handler already keeps its connections alive, up to 50 at once, enough for the
// ten requests in flight: nothing to tune.
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
    const { message, problem } = predictionMessage(record.kinesis.data);
    if (problem) fail(index, `invalid record: ${problem}`);
    else entries.push({ Id: String(index), MessageBody: message });
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

/**
 * Sends one chunk; an entry SQS rejects fails its record (after the attempts above when it was
 * not our fault), a failed request (after the SDK's own retries) all of them.
 */
async function sendChunk(entries, fail) {
  let pending = entries;
  for (let attempt = 1; attempt <= ENTRY_ATTEMPTS; attempt++) {
    let failed;
    try {
      ({ Failed: failed = [] } = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending })));
    } catch (error) {
      for (const entry of pending) fail(Number(entry.Id), `SendMessageBatch failed: ${error.name}: ${error.message}`);
      return;
    }
    const again = [];
    for (const entry of failed) {
      if (entry.SenderFault || attempt === ENTRY_ATTEMPTS) fail(Number(entry.Id), `SQS rejected it: ${entry.Code}: ${entry.Message}`);
      else again.push(pending.find((sent) => sent.Id === entry.Id));
    }
    if (again.length === 0) return;
    await sleep(FIRST_BACKOFF_MS * 2 ** (attempt - 1));
    pending = again;
  }
}

/**
 * A record's base64 data as the message body, or the problem that makes the record invalid.
 * The body has the contract's keys in its order (JSON.stringify keeps insertion order).
 */
function predictionMessage(data) {
  const { customer, problem } = readCustomer(data);
  if (problem) return { problem };
  let z = model.intercept;
  for (const n of model.numeric) z += n.weight * ((customer[n.feature] - n.mean) / n.std);
  for (const b of model.boolean) if (customer[b.feature]) z += b.weight;
  for (const c of model.categorical) z += c.weights[customer[c.feature]];
  // Values too large for the model overflow the score: its probability would mean nothing.
  if (!Number.isFinite(z)) return { problem: `its score is ${z}: a value is too large for the model` };
  const probability = 1 / (1 + exp(-z));
  const label = probability >= model.threshold ? 'churn' : 'stay';
  return { message: JSON.stringify({ customer_id: customer.customer_id, probability, label, model_version: model.version }) };
}

/** A record's base64 data as a customer, or the problem that makes it invalid. */
function readCustomer(data) {
  let customer;
  try {
    const text = utf8.decode(Buffer.from(data, 'base64'));
    customer = JSON.parse(text, LONE_SURROGATE_ESCAPE.test(text) ? refuseLoneSurrogates : undefined);
  } catch (error) {
    return { problem: `not JSON: ${error.message}` };
  }
  return { customer, problem: customerProblem(customer) };
}

/** A \uD800-\uDFFF escape; only then does the slower check below run. */
const LONE_SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/** JSON.parse takes "\ud800" alone, which is no character: Rust and Python refuse it too. */
function refuseLoneSurrogates(key, value) {
  if (!key.isWellFormed() || (typeof value === 'string' && !value.isWellFormed())) throw new SyntaxError('lone surrogate in a string');
  return value;
}

// e^x as V8's Math.exp computes it (fdlibm's algorithm), written out so that the Rust function
// and the Python twin, which carry the same code, get the same bits: their platforms' exp
// differs from V8's in the last bit for about one argument in ten.
const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;
const INV_LN2 = 1.44269504088896338700;
const P = [1.66666666666666019037e-1, -2.77777777770155933842e-3, 6.61375632143793436117e-5, -1.65339022054652515390e-6, 4.13813679705723846039e-8];
const bits = new Float64Array(1);
// The high 32 bits of a double; Lambda's CPUs (x86_64, arm64) are little-endian.
const words = new Uint32Array(bits.buffer);

function exp(x) {
  if (Number.isNaN(x)) return x;
  if (x > 7.09782712893383973096e2) return Infinity;
  if (x < -7.45133219101941108420e2) return 0;
  bits[0] = x;
  const high = words[1] & 0x7fffffff;
  const negative = x < 0;
  let [hi, lo, k] = [0, 0, 0];
  if (high > 0x3fd62e42) {
    if (high < 0x3ff0a2b2) {
      if (x === 1) return Math.E;
      [hi, lo, k] = negative ? [x + LN2_HI, -LN2_LO, -1] : [x - LN2_HI, LN2_LO, 1];
    } else {
      k = Math.trunc(INV_LN2 * x + (negative ? -0.5 : 0.5));
      [hi, lo] = [x - k * LN2_HI, k * LN2_LO];
    }
    x = hi - lo;
  } else if (high < 0x3e300000) {
    return 1 + x;
  }
  const t = x * x;
  const c = x - t * (P[0] + t * (P[1] + t * (P[2] + t * (P[3] + t * P[4]))));
  if (k === 0) return 1 - ((x * c) / (c - 2) - x);
  const y = 1 - ((lo - (x * c) / (2 - c)) - hi);
  if (k > 1023) return y * 2 * powerOfTwo(k - 1);
  if (k >= -1021) return y * powerOfTwo(k);
  return y * powerOfTwo(k + 1000) * powerOfTwo(-1000);
}

/** 2^k for -1022 <= k <= 1023, built from its bits. */
function powerOfTwo(k) {
  words[1] = (0x3ff + k) << 20;
  words[0] = 0;
  return bits[0];
}

function customerProblem(c) {
  if (!isObject(c)) return 'not a JSON object';
  if (typeof c.customer_id !== 'string' || c.customer_id === '') return 'customer_id must be a non-empty string';
  for (const field of NUMERIC) {
    const value = c[field];
    const count = COUNTS.has(field);
    if (!(count ? Number.isInteger(value) && value <= MAX_COUNT : Number.isFinite(value)) || value < MINIMUM[field]) {
      return `${field} must be ${count ? `an integer from ${MINIMUM[field]} to ${MAX_COUNT}` : `a number >= ${MINIMUM[field]}`}`;
    }
  }
  for (const field of BOOLEAN) if (typeof c[field] !== 'boolean') return `${field} must be true or false`;
  for (const [field, levels] of Object.entries(LEVELS)) {
    if (!levels.includes(c[field])) return `${field} must be one of ${levels.join(', ')}`;
  }
  return undefined;
}

/** model.json, checked as the contract asks; throws one line naming the first problem. */
function checkedModel(m) {
  const problem = modelProblem(m);
  if (problem) throw new Error(`invalid churn model model.json: ${problem}`);
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
