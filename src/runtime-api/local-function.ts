/**
 * A function running on this machine as it runs in Lambda: its runtime process (a Rust
 * `bootstrap`, or any other runtime) started with AWS_LAMBDA_RUNTIME_API pointing at our
 * emulator. One process serves invocations one after another until it is stopped, so the first
 * invocation is a cold start and the next ones are warm, as in one execution environment.
 *
 * It is the emulator's other half: `lambda-kit invoke` runs one invocation, the bench many.
 *
 * The runtime runs in a process group of its own, and stopping it ends the whole group: a
 * function may start processes (`sleep 1000 &` in a bootstrap script) that outlive it and hold
 * its stdout and stderr open, so neither its end nor our stop may wait for the pipes to close.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { LineSplitter } from '../text/line-splitter.js';
import { RuntimeApiEmulator, type InvocationResult, type InvokeOptions } from './emulator.js';

export interface LocalFunctionOptions {
  /** The runtime's executable, e.g. target/lambda/<package>/bootstrap. */
  command: string;
  args?: string[];
  cwd?: string;
  /** The process's whole environment; AWS_LAMBDA_RUNTIME_API is added. */
  env: Record<string, string>;
  functionArn?: string;
  /** The invocation timeout (the function's Timeout). */
  timeoutMs: number;
  /** How long the runtime may take to start polling for events; Lambda allows 10 s. */
  initTimeoutMs?: number;
  /** Every line the process writes, as it writes it. */
  onLog?: (line: string, stream: 'stdout' | 'stderr') => void;
}

/** After the runtime exits, how long its pipes may take to deliver their last lines. */
const PIPE_DRAIN_MS = 100;
/** How long stop() waits for the process group's end, after SIGKILL, before it lets go. */
const KILL_WAIT_MS = 2000;

export type LocalInvocation = (
  | InvocationResult
  /** The process ended (crashed, or exited) before answering. */
  | { outcome: 'exited'; requestId: string; exitCode: number | null; signal: NodeJS.Signals | null; spawnError?: string }
  /** The runtime never polled for the event within the init timeout. */
  | { outcome: 'init-timeout'; requestId: string; timeoutMs: number }
) & {
  /** What the process wrote while this invocation ran (for the first, its init too). */
  logs: string[];
  /** Spawn to first poll: set on the invocation that waited for the init (the cold start). */
  initDurationMs?: number;
  /** The process's peak resident memory so far, in bytes (Linux only). */
  maxMemoryBytes?: number;
};

interface Exit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  spawnError?: string;
}

export class LocalFunction {
  readonly emulator: RuntimeApiEmulator;
  readonly process: ChildProcess;
  /** performance.now() just before the spawn. */
  readonly spawnedAt: number;

  #exit: Promise<Exit>;
  #exited: Exit | undefined;
  #logs: string[] = [];
  #initTimeoutMs: number;
  #initReported = false;
  #firstPollAt: number | undefined;

  private constructor(emulator: RuntimeApiEmulator, options: LocalFunctionOptions) {
    this.emulator = emulator;
    this.#initTimeoutMs = options.initTimeoutMs ?? 10_000;
    void emulator.firstPoll.then((at) => (this.#firstPollAt = at));
    this.spawnedAt = performance.now();
    this.process = spawn(options.command, options.args ?? [], {
      cwd: options.cwd,
      env: { ...options.env, AWS_LAMBDA_RUNTIME_API: emulator.endpoint },
      stdio: ['ignore', 'pipe', 'pipe'],
      // A group of its own, so that stop() reaches whatever the runtime starts, and a Ctrl-C at
      // the terminal reaches lambda-kit alone, which then stops the function itself.
      detached: true,
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      const source = this.process[stream]!;
      const lines = new LineSplitter((line) => {
        this.#logs.push(line);
        options.onLog?.(line, stream);
      });
      source.on('data', (chunk: Buffer) => lines.push(chunk));
      source.on('end', () => lines.end());
    }
    this.#exit = new Promise<Exit>((resolve) => {
      this.process.once('error', (error: NodeJS.ErrnoException) =>
        resolve({ exitCode: null, signal: null, spawnError: error.code ?? error.message }),
      );
      // 'exit', then what the pipes still hold; not 'close', which waits for every holder of the pipes.
      this.process.once('exit', (exitCode, signal) => void this.#drainPipes(PIPE_DRAIN_MS).then(() => resolve({ exitCode, signal })));
    }).then((exit: Exit) => (this.#exited = exit));
  }

  /** Reads the pipes to their end, or for `ms` at most, then stops reading them. */
  async #drainPipes(ms: number): Promise<void> {
    const pipes = [this.process.stdout!, this.process.stderr!];
    const closed = Promise.all(pipes.map((pipe) => (pipe.closed ? undefined : new Promise((resolve) => pipe.once('close', resolve)))));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
    for (const pipe of pipes) pipe.destroy();
  }

  /** Starts the emulator, then the process. Resolves once spawned, not once initialised. */
  static async start(options: LocalFunctionOptions): Promise<LocalFunction> {
    const emulator = await RuntimeApiEmulator.start({ functionArn: options.functionArn, timeoutMs: options.timeoutMs });
    try {
      return new LocalFunction(emulator, options);
    } catch (error) {
      // spawn() throws for what no process can be given (a NUL byte in the environment); a
      // listening emulator left behind would keep lambda-kit alive for ever.
      await emulator.close();
      throw error;
    }
  }

  /** Resolves when the process has ended. */
  get exited(): Promise<Exit> {
    return this.#exit;
  }

  /**
   * Sends one event and waits for the outcome. Never rejects for what the function does; rejects
   * with the signal's reason when `signal` aborts first (the caller then stops the function).
   */
  async invoke(event: unknown, { signal, ...options }: InvokeOptions = {}): Promise<LocalInvocation> {
    signal?.throwIfAborted();
    const requestId = options.requestId ?? randomUUID();
    const firstLog = this.#logs.length;
    const abort = new AbortController();
    const cold = !this.#initReported;
    this.#initReported = true;

    let initTimer: NodeJS.Timeout | undefined;
    const initTimeout = new Promise<LocalInvocation | undefined>((resolve) => {
      if (!cold) return resolve(undefined);
      initTimer = setTimeout(
        () => resolve({ outcome: 'init-timeout', requestId, timeoutMs: this.#initTimeoutMs, logs: [] }),
        this.#initTimeoutMs,
      );
      void this.emulator.firstPoll.then(() => clearTimeout(initTimer));
    }).then((result) => result ?? new Promise<never>(() => {}));
    const exit = this.#exit.then((exit): LocalInvocation => ({ outcome: 'exited', requestId, ...exit, logs: [] }));
    const answer = this.emulator
      .invoke(event, { ...options, requestId, signal: abort.signal })
      .then((result): LocalInvocation => ({ ...result, logs: [] }));

    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () => reject(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
    });

    let result: LocalInvocation;
    try {
      result = await Promise.race([answer, exit, initTimeout, aborted]);
    } finally {
      clearTimeout(initTimer);
      signal?.removeEventListener('abort', onAbort!);
      abort.abort(new Error('settled'));
      answer.catch(() => {});
      aborted.catch(() => {});
    }
    // A runtime that timed out, or never started, is stopped, as Lambda stops its environment.
    if (result.outcome === 'timeout' || result.outcome === 'init-timeout') await this.stop();
    // Lines written just before the answer may still be in the pipe: let them land.
    else await new Promise((resolve) => setTimeout(resolve, 5));

    result.logs = this.#logs.slice(firstLog);
    if (cold && this.#firstPollAt !== undefined) result.initDurationMs = this.#firstPollAt - this.spawnedAt;
    const memory = this.maxMemoryBytes();
    if (memory !== undefined) result.maxMemoryBytes = memory;
    return result;
  }

  /** Peak resident memory (VmHWM) of the process, where /proc tells it. */
  maxMemoryBytes(): number | undefined {
    if (this.#exited || this.process.pid === undefined) return undefined;
    try {
      const status = readFileSync(`/proc/${this.process.pid}/status`, 'utf8');
      const kb = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
      return kb === undefined ? undefined : Number(kb) * 1024;
    } catch {
      return undefined;
    }
  }

  /**
   * Stops the runtime and every process it started (its process group: SIGTERM, then SIGKILL
   * after a grace period), stops reading their output, and closes the emulator. Idempotent.
   */
  async stop(graceMs = 500): Promise<void> {
    const { pid } = this.process;
    if (pid !== undefined) await endProcessGroup(pid, graceMs);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#exit, new Promise((resolve) => (timer = setTimeout(resolve, KILL_WAIT_MS)))]);
    clearTimeout(timer);
    this.process.stdout?.destroy();
    this.process.stderr?.destroy();
    await this.emulator.close();
  }
}

/** Sends `signal` to process group `group`; false when no process of it is left. */
function signalGroup(group: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-group, signal);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to the group, time to end, then SIGKILL to whatever is left of it. */
async function endProcessGroup(group: number, graceMs: number): Promise<void> {
  if (!signalGroup(group, 'SIGTERM')) return;
  const until = performance.now() + graceMs;
  // A process that died but is not yet reaped still counts: at worst this waits out the grace.
  while (performance.now() < until && signalGroup(group, 0)) await new Promise((resolve) => setTimeout(resolve, 20));
  signalGroup(group, 'SIGKILL');
}
