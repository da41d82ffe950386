/**
 * Runs one of lambda-kit dev's event source pollers against moto with a scripted function: the
 * `invoke` callback is the seam, so no Rust build is needed. Each call records the event it was
 * sent and answers with what the test's script says.
 */
import { runSource, type InvokeResult, type SourceOptions } from '../../src/dev/sources/run-source.js';

export interface RunningSource {
  /** The events the function was sent, in order. */
  events: any[];
  /** Every line the poller logged. */
  lines: string[];
  /** Resolves (or rejects) when runSource does; its time is settledAt. */
  done: Promise<void>;
  settledAt(): number | undefined;
  stop(): Promise<void>;
  /** Waits until `predicate` holds, checking every 50 ms, for at most `timeoutMs`. */
  until(predicate: () => boolean, what: string, timeoutMs?: number): Promise<void>;
}

/** Short enough for tests; the defaults are Lambda's. */
export const FAST_TIMING = { longPollSeconds: 1, callGraceMs: 5000, firstBackoffMs: 100, maxBackoffMs: 400, idlePollMs: 100 };

export function startSource(
  options: Omit<SourceOptions, 'invoke' | 'signal' | 'log'>,
  answer: (event: any, call: number) => InvokeResult | Promise<InvokeResult>,
): RunningSource {
  const controller = new AbortController();
  const events: any[] = [];
  const lines: string[] = [];
  let settled: number | undefined;
  const done = runSource({
    timing: FAST_TIMING,
    ...options,
    signal: controller.signal,
    log: (line) => lines.push(line),
    invoke: async (event) => {
      events.push(event);
      return answer(event, events.length);
    },
  }).finally(() => (settled = Date.now()));
  // A rejection is the test's to see through `done`; this keeps it from counting as unhandled meanwhile.
  done.catch(() => {});
  const running: RunningSource = {
    events,
    lines,
    done,
    settledAt: () => settled,
    async stop() {
      controller.abort();
      await done;
    },
    async until(predicate, what, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (settled !== undefined) {
          await done;
          throw new Error(`the source stopped before ${what}; log:\n${lines.join('\n')}`);
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; log:\n${lines.join('\n')}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
  return running;
}
