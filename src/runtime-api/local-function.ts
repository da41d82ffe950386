/**
 * A function running on this machine as it runs in Lambda: its runtime process (a Rust
 * `bootstrap`, or any other runtime) started with AWS_LAMBDA_RUNTIME_API pointing at our
 * emulator. One process serves invocations one after another until it is stopped, so the first
 * invocation is a cold start and the next ones are warm, as in one execution environment.
 *
 * It is the emulator's other half: `lambda-kit invoke` runs one invocation, the bench many.
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
      this.process.once('error', (error: NodeJS.ErrnoException) => resolve({ exitCode: null, signal: null, spawnError: error.code ?? error.message }));
      // 'close', not 'exit': by then every line the process wrote has been read.
      this.process.once('close', (exitCode, signal) => resolve({ exitCode, signal }));
    }).then((exit: Exit) => (this.#exited = exit));
  }

  /** Starts the emulator, then the process. Resolves once spawned, not once initialised. */
  static async start(options: LocalFunctionOptions): Promise<LocalFunction> {
    const emulator = await RuntimeApiEmulator.start({ functionArn: options.functionArn, timeoutMs: options.timeoutMs });
    return new LocalFunction(emulator, options);
  }

  /** Resolves when the process has ended. */
  get exited(): Promise<Exit> {
    return this.#exit;
  }

  /** Sends one event and waits for the outcome. Never rejects for what the function does. */
  async invoke(event: unknown, options: Omit<InvokeOptions, 'signal'> = {}): Promise<LocalInvocation> {
    const requestId = options.requestId ?? randomUUID();
    const firstLog = this.#logs.length;
    const abort = new AbortController();
    const cold = !this.#initReported;
    this.#initReported = true;

    let initTimer: NodeJS.Timeout | undefined;
    const initTimeout = new Promise<LocalInvocation | undefined>((resolve) => {
      if (!cold) return resolve(undefined);
      initTimer = setTimeout(() => resolve({ outcome: 'init-timeout', requestId, timeoutMs: this.#initTimeoutMs, logs: [] }), this.#initTimeoutMs);
      void this.emulator.firstPoll.then(() => clearTimeout(initTimer));
    }).then((result) => result ?? new Promise<never>(() => {}));
    const exit = this.#exit.then((exit): LocalInvocation => ({ outcome: 'exited', requestId, ...exit, logs: [] }));
    const answer = this.emulator.invoke(event, { ...options, requestId, signal: abort.signal }).then((result): LocalInvocation => ({ ...result, logs: [] }));

    const result = await Promise.race([answer, exit, initTimeout]);
    clearTimeout(initTimer);
    abort.abort(new Error('settled'));
    answer.catch(() => {});
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

  /** Stops the process (SIGTERM, then SIGKILL after a grace period) and the emulator. */
  async stop(graceMs = 500): Promise<void> {
    if (!this.#exited && this.process.exitCode === null && this.process.signalCode === null) {
      this.process.kill('SIGTERM');
      const killer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
      await this.#exit;
      clearTimeout(killer);
    }
    await this.emulator.close();
  }
}
