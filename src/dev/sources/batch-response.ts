/**
 * How Lambda's event source mappings read a function's answer to a batch when the mapping has
 * ReportBatchItemFailures (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html,
 * and the same rules for Kinesis): nothing to report means the whole batch succeeded; listed
 * identifiers failed; anything Lambda cannot trust fails the whole batch.
 */
import { quoted } from '../../text/terminal-text.js';

export type BatchVerdict =
  | { kind: 'all-succeeded' }
  /** The identifiers the answer lists, each once, in the batch's order. */
  | { kind: 'some-failed'; failed: string[] }
  | { kind: 'whole-batch-failed'; why: string };

/**
 * The function's answer as the dev loop hands it over: the response's bytes or text (parsed
 * here, as Lambda parses them), or a value already parsed from JSON.
 */
function parsedAnswer(answer: unknown): { value: unknown } | { invalid: true } {
  if (answer instanceof Uint8Array || typeof answer === 'string') {
    const text = typeof answer === 'string' ? answer : Buffer.from(answer).toString('utf8');
    // An empty response body is Lambda's "null EventResponse": a success.
    if (text.trim() === '') return { value: null };
    try {
      return { value: JSON.parse(text) };
    } catch {
      return { invalid: true };
    }
  }
  return { value: answer ?? null };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The verdict on a batch whose records are named by `ids` (SQS message ids, Kinesis sequence
 * numbers), for a mapping with ReportBatchItemFailures. Without it Lambda ignores the answer,
 * so the caller does not ask.
 */
export function readBatchResponse(answer: unknown, ids: readonly string[]): BatchVerdict {
  const parsed = parsedAnswer(answer);
  if ('invalid' in parsed) return { kind: 'whole-batch-failed', why: 'the answer is not JSON' };
  const { value } = parsed;
  if (value === null) return { kind: 'all-succeeded' };
  if (!isObject(value)) return { kind: 'whole-batch-failed', why: 'the answer is not an object with batchItemFailures' };
  const failures = value.batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'all-succeeded' };
  if (!Array.isArray(failures)) return { kind: 'whole-batch-failed', why: 'batchItemFailures is not a list' };
  const known = new Set(ids);
  const failed = new Set<string>();
  for (const entry of failures) {
    if (!isObject(entry) || !Object.hasOwn(entry, 'itemIdentifier')) {
      return { kind: 'whole-batch-failed', why: 'a batchItemFailures entry has no itemIdentifier' };
    }
    const id = entry.itemIdentifier;
    if (typeof id !== 'string' || id === '')
      return { kind: 'whole-batch-failed', why: 'a batchItemFailures entry has an empty itemIdentifier' };
    if (!known.has(id))
      return { kind: 'whole-batch-failed', why: `batchItemFailures names ${quoted(id, 80)}, which is no record of the batch` };
    failed.add(id);
  }
  if (failed.size === 0) return { kind: 'all-succeeded' };
  return { kind: 'some-failed', failed: ids.filter((id) => failed.has(id)) };
}
