/**
 * The one execution environment `lambda-kit dev` keeps for a function, across rebuilds: it
 * serves invocations one at a time (like a function with a concurrency of one), starts the
 * newest good binary for the next invocation after a rebuild, and holds invocations that arrive
 * during a build until the build is over (for a bounded time), so none is answered by code
 * about to be replaced. A build that fails leaves the last good binary serving.
 *
 * The processes themselves are LocalFunction's (the Runtime API emulator and the process group).
 */
import type { LocalFunction, LocalInvocation } from '../runtime-api/local-function.js';

/** An invocation the host could not run: no build has succeeded yet. */
export interface Unavailable {
  outcome: 'unavailable';
  reason: string;
}

export interface FunctionHostOptions {
  /** Starts the function from `binary`, with the project's current settings. */
  launch: (binary: string) => Promise<LocalFunction>;
  /** How long an invocation waits for a running build before it is served by the last good binary. */
  buildWaitMs: number;
}

/** Outcomes after which Lambda would not reuse the execution environment. */
const ENVIRONMENT_ENDING = new Set(['exited', 'timeout', 'init-timeout', 'init-error']);

export class FunctionHost {
  #options: FunctionHostOptions;
  #binary: string | undefined;
  #running: { binary: string; local: LocalFunction } | undefined;
  /** Every invocation and swap runs after the one before it. */
  #chain: Promise<unknown> = Promise.resolve();
  #build: { done: Promise<void>; finish: () => void } | undefined;
  #stopped = false;

  constructor(options: FunctionHostOptions) {
    this.#options = options;
  }

  /** Whether a build has succeeded, so there is something to run. */
  get hasBinary(): boolean {
    return this.#binary !== undefined;
  }

  /** Invocations from now on wait for endBuild() (or the wait bound) before they run. */
  beginBuild(): void {
    if (this.#build) return;
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    this.#build = { done, finish };
  }

  /**
   * Ends the build: with a new binary, the next invocation runs it, in a fresh process. Each
   * build's binary must have a path of its own (a copy): the same path would not be swapped.
   */
  endBuild(binary: string | undefined): void {
    if (binary !== undefined) this.#binary = binary;
    const build = this.#build;
    this.#build = undefined;
    build?.finish();
    // Start the new process now, so its init is not paid by the next request.
    if (binary !== undefined) void this.#serially(() => this.#ensureRunning()).catch(() => {});
  }

  /** Runs one event through the function, after the invocations before it. */
  invoke(event: Buffer, signal?: AbortSignal): Promise<LocalInvocation | Unavailable> {
    return this.#serially(async () => {
      await this.#waitForBuild(signal);
      signal?.throwIfAborted();
      const local = await this.#ensureRunning();
      if (!local)
        return { outcome: 'unavailable', reason: 'no build of the function has succeeded yet (cargo’s errors are above)' } as const;
      const result = await local.invoke(event, { signal });
      if (ENVIRONMENT_ENDING.has(result.outcome)) await this.#retire();
      return result;
    });
  }

  /** Stops the function's process group and its emulator; later invocations are unavailable. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#build?.finish();
    await this.#retire();
  }

  #serially<T>(step: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(step, step);
    this.#chain = next.catch(() => {});
    return next;
  }

  async #waitForBuild(signal: AbortSignal | undefined): Promise<void> {
    const build = this.#build;
    if (!build) return;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    await Promise.race([
      build.done,
      new Promise((resolve) => {
        timer = setTimeout(resolve, this.#options.buildWaitMs);
      }),
      new Promise((resolve) => {
        onAbort = () => resolve(undefined);
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }

  /** The process for the newest good binary, started when it is not running yet. */
  async #ensureRunning(): Promise<LocalFunction | undefined> {
    if (this.#stopped || this.#binary === undefined) return undefined;
    if (this.#running?.binary === this.#binary && !this.#hasEnded(this.#running.local)) return this.#running.local;
    await this.#retire();
    const binary = this.#binary;
    const local = await this.#options.launch(binary);
    // stop() came while it started: nothing may outlive dev.
    if (this.#stopped) {
      await local.stop();
      return undefined;
    }
    this.#running = { binary, local };
    return local;
  }

  #hasEnded(local: LocalFunction): boolean {
    return local.process.exitCode !== null || local.process.signalCode !== null;
  }

  async #retire(): Promise<void> {
    const running = this.#running;
    this.#running = undefined;
    await running?.local.stop();
  }
}
