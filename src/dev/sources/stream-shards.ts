/**
 * Lambda's event source mapping for a stream of shards (Kinesis, DynamoDB Streams), for
 * `lambda-kit dev`: reads every shard from the starting position, in order, a batch at a time,
 * and moves a shard on only past what succeeded. With ReportBatchItemFailures a batch is read
 * again from the lowest failed sequence number; a function error (or an answer Lambda cannot
 * trust) reads the whole batch again, after a pause, until MaximumRetryAttempts is spent, and
 * then dev skips the batch and says so. With BisectBatchOnFunctionError a failed batch is split
 * in two and each half is tried on its own first; a split is not a retry, as in Lambda.
 *
 * What differs between the services (their calls, their records, their event) is a StreamApi.
 */
import { SYNC_EVENT_BYTES } from '../../project/events.js';
import { visible } from '../../text/terminal-text.js';
import { readBatchResponse } from './batch-response.js';
import { compareSequenceNumbers } from './kinesis-event.js';
import { type Caller, DEV_RETRY_LIMIT, pause, plural, type SourceOptions, type SourceTiming, seconds, Stopped } from './source-runtime.js';

/** What GetRecords gives for an iterator past its lifetime, instead of throwing. */
export const EXPIRED: unique symbol = Symbol('expired iterator');

export type IteratorType = 'LATEST' | 'TRIM_HORIZON' | 'AT_TIMESTAMP' | 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER';

export interface ShardInfo {
  id: string;
  /** The shard this one split or was rolled over from: its records come first. */
  parentId: string | undefined;
}

/** One service's calls and records; every call goes through the caller, so it is bounded and paced. */
export interface StreamApi<R> {
  /** The log lines' prefix: `kinesis`, `dynamodb`. */
  prefix: string;
  /** How the stream is named in the first line. */
  label: string;
  listShards(caller: Caller): Promise<ShardInfo[]>;
  iterator(caller: Caller, shardId: string, type: IteratorType, sequenceNumber?: string): Promise<string | undefined>;
  getRecords(caller: Caller, iterator: string, limit: number): Promise<{ records: R[]; next: string | undefined } | typeof EXPIRED>;
  sequenceNumberOf(record: R): string;
  /** One record as the event carries it: what counts against the invoke's 6 MB. */
  eventRecordOf(record: R, shardId: string): unknown;
  /** GetRecords' most records a call. */
  getRecordsMax: number;
  destroy(): void;
}

interface Shard {
  id: string;
  parentId: string | undefined;
  /** Where the next read starts; undefined once a closed shard is read to its end. */
  iterator: string | undefined;
  /** The last sequence number handed on for good, to start again after it if the iterator expires. */
  checkpoint: string | undefined;
  /** Failed attempts at the batch that starts at the checkpoint. */
  attempts: number;
  /** After a bisection: the sizes of the next batches, read one by one from the checkpoint. */
  pieces: number[];
}

/** `{"Records":[]}` around the records. */
const EVENT_OVERHEAD_BYTES = 14;

export async function runShardPoller<R>(api: StreamApi<R>, options: SourceOptions, timing: SourceTiming, caller: Caller): Promise<void> {
  const { signal, log } = options;
  const { prefix } = api;
  const retryLimit =
    options.maximumRetryAttempts === undefined || options.maximumRetryAttempts < 0 ? DEV_RETRY_LIMIT : options.maximumRetryAttempts;
  const position = options.startingPosition ?? 'LATEST';
  const window = options.maximumBatchingWindowInSeconds;
  const shards: Shard[] = [];
  const known = new Set<string>();

  /** Adds the shards not seen yet; a shard whose parent is known waits for it to be read to its end. */
  const discover = async (from: IteratorType): Promise<void> => {
    for (const info of await api.listShards(caller)) {
      if (known.has(info.id)) continue;
      known.add(info.id);
      shards.push({
        id: info.id,
        parentId: info.parentId,
        iterator: await api.iterator(caller, info.id, from),
        checkpoint: undefined,
        attempts: 0,
        pieces: [],
      });
    }
  };
  const waitsForParent = (shard: Shard): boolean =>
    shard.parentId !== undefined && shards.some((s) => s.id === shard.parentId && s.iterator !== undefined);

  const readBatch = async (shard: Shard): Promise<R[]> => {
    const limit = Math.min(options.batchSize, shard.pieces[0] ?? options.batchSize);
    const records: R[] = [];
    let bytes = EVENT_OVERHEAD_BYTES;
    /** How many of `got` the batch can take without passing the limit; at least one, so a batch always moves on. */
    const fitting = (got: R[]): number => {
      for (const [index, record] of got.entries()) {
        const size = Buffer.byteLength(JSON.stringify(api.eventRecordOf(record, shard.id))) + 1;
        if (records.length + index > 0 && bytes + size > SYNC_EVENT_BYTES) return index;
        bytes += size;
      }
      return got.length;
    };
    let windowEnds = Number.POSITIVE_INFINITY;
    while (shard.iterator !== undefined && records.length < limit) {
      const page = await api.getRecords(caller, shard.iterator, Math.min(api.getRecordsMax, limit - records.length));
      if (page === EXPIRED) {
        // An iterator lasts minutes: a new one starts right after what was handed on, or where reading began.
        shard.iterator = shard.checkpoint
          ? await api.iterator(caller, shard.id, 'AFTER_SEQUENCE_NUMBER', shard.checkpoint)
          : await api.iterator(caller, shard.id, position);
        continue;
      }
      const got = page.records;
      // The window opens with the batch's first record.
      if (records.length === 0 && got.length > 0) windowEnds = Date.now() + window * 1000;
      shard.iterator = page.next;
      const fits = fitting(got);
      records.push(...got.slice(0, fits));
      if (fits < got.length) {
        // Lambda's synchronous invoke takes 6 MB: the rest is read again, for the next batch.
        shard.iterator = await api.iterator(caller, shard.id, 'AT_SEQUENCE_NUMBER', api.sequenceNumberOf(got[fits]!));
        break;
      }
      // Nothing yet: on to the next shard. Something: without a window, invoke now; with one, gather until it closes.
      if (records.length === 0 || window === 0 || Date.now() >= windowEnds) break;
      if (got.length === 0) await pause(Math.min(timing.idlePollMs, windowEnds - Date.now()), signal);
    }
    return records;
  };

  const invokeAndMoveOn = async (shard: Shard, records: R[], event: unknown): Promise<void> => {
    const sequenceNumbers = records.map((r) => api.sequenceNumberOf(r));
    const first = sequenceNumbers[0]!;
    const last = sequenceNumbers.at(-1)!;
    const result = await options.invoke(event);
    const head = `${prefix}: ${shard.id}: ${plural(records.length, 'record')}`;
    let retryFrom: string | undefined;
    let wholeBatch = false;
    let outcome: string;
    if (!result.ok) {
      retryFrom = first;
      wholeBatch = true;
      outcome = `function error (${visible(result.error, 200)})`;
    } else if (options.reportBatchItemFailures) {
      const verdict = readBatchResponse(result.answer, sequenceNumbers);
      if (verdict.kind === 'whole-batch-failed') {
        retryFrom = first;
        wholeBatch = true;
        outcome = `all failed (${verdict.why})`;
      } else if (verdict.kind === 'some-failed') {
        retryFrom = verdict.failed.reduce((lowest, s) => (compareSequenceNumbers(s, lowest) < 0 ? s : lowest));
        outcome = `${verdict.failed.length} failed (batchItemFailures)`;
      } else {
        outcome = '0 failed';
      }
    } else {
      outcome = '0 failed';
    }
    if (retryFrom === undefined) {
      shard.checkpoint = last;
      shard.attempts = 0;
      shard.pieces.shift();
      log(`${head}, ${outcome}: done up to ${last}`);
      return;
    }
    // What precedes the lowest failure succeeded, and is not sent again.
    const done = sequenceNumbers.filter((s) => compareSequenceNumbers(s, retryFrom) < 0);
    if (done.length > 0) {
      shard.checkpoint = done.at(-1);
      shard.attempts = 0;
      // A piece of a bisected batch goes on with what is left of it.
      if (shard.pieces.length > 0) shard.pieces[0] = records.length - done.length;
    }
    if (wholeBatch && options.bisectBatchOnFunctionError && records.length > 1) {
      const firstHalf = Math.ceil(records.length / 2);
      shard.pieces.splice(0, 1, firstHalf, records.length - firstHalf);
      log(
        `${head}, ${outcome}: split into ${firstHalf} and ${records.length - firstHalf} (BisectBatchOnFunctionError), from ${first} in ${seconds(timing.firstBackoffMs)}`,
      );
      shard.iterator = await api.iterator(caller, shard.id, 'AT_SEQUENCE_NUMBER', first);
      await pause(timing.firstBackoffMs, signal);
      return;
    }
    shard.attempts++;
    if (shard.attempts > retryLimit) {
      shard.checkpoint = last;
      shard.attempts = 0;
      shard.pieces.shift();
      log(
        `${head}, ${outcome}: gave up after ${retryLimit} ${retryLimit === 1 ? 'retry' : 'retries'} (MaximumRetryAttempts); skipping to after ${last}`,
      );
      shard.iterator = await api.iterator(caller, shard.id, 'AFTER_SEQUENCE_NUMBER', last);
      return;
    }
    const wait = Math.min(timing.firstBackoffMs * 2 ** (shard.attempts - 1), timing.maxBackoffMs);
    log(`${head}, ${outcome}: retry ${shard.attempts} of ${retryLimit} from ${retryFrom} in ${seconds(wait)}`);
    shard.iterator = await api.iterator(caller, shard.id, 'AT_SEQUENCE_NUMBER', retryFrom);
    await pause(wait, signal);
  };

  try {
    await discover(position);
    const failures = options.reportBatchItemFailures ? ', ReportBatchItemFailures' : '';
    const bisect = options.bisectBatchOnFunctionError ? ', BisectBatchOnFunctionError' : '';
    log(
      `${prefix}: reading ${plural(shards.length, 'shard')} of ${api.label} from ${position} (batch size ${options.batchSize}, batching window ${window} s${failures}${bisect})`,
    );
    while (!signal.aborted) {
      let anyRecords = false;
      let anyClosed = false;
      for (const shard of shards) {
        if (signal.aborted) break;
        if (shard.iterator === undefined || waitsForParent(shard)) continue;
        const records = await readBatch(shard);
        if (shard.iterator === undefined) anyClosed = true;
        if (records.length === 0) continue;
        anyRecords = true;
        await invokeAndMoveOn(shard, records, { Records: records.map((record) => api.eventRecordOf(record, shard.id)) });
      }
      // A shard read to its end may have children (a split, DynamoDB's rollover): read them from their start.
      if (anyClosed) await discover('TRIM_HORIZON');
      if (!anyRecords) await pause(timing.idlePollMs, signal);
      if (shards.every((s) => s.iterator === undefined)) {
        log(`${prefix}: every shard of ${api.label} is closed and read to its end`);
        return;
      }
    }
  } catch (error) {
    if (!(error instanceof Stopped)) throw error;
  } finally {
    api.destroy();
  }
}
