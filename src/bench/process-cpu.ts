/**
 * The CPU time a process spends, read from /proc (Linux), for the benches' CPU-per-batch and
 * cold-start CPU figures.
 *
 * The source is each thread's /proc/<pid>/task/<tid>/schedstat, whose first field is the
 * thread's time on CPU in nanoseconds (the scheduler's sum_exec_runtime). /proc/<pid>/stat's
 * utime + stime (fields 14 and 15) cover the whole process, dead threads included, but only in
 * clock ticks: 10 ms at the usual CLK_TCK of 100, coarser than a whole Rust batch. So schedstat
 * is read, thread by thread, and the stat ticks are the fallback on kernels built without
 * schedstat. A thread that ends between two readings takes its share with it; the runtimes
 * measured keep their threads (tokio's workers, libuv's pool, V8's helpers) for their lifetime.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** One reading of a process: nanoseconds on CPU so far, per live thread id. */
export interface ProcessCpu {
  /** schedstat: nanoseconds; stat: clock ticks converted, so steps of 1e9 / CLK_TCK ns. */
  source: 'schedstat' | 'stat';
  threads: Map<number, number>;
}

/** The first field of a schedstat line, `<ns on cpu> <ns waiting> <timeslices>`, or undefined. */
export function parseSchedstat(text: string): number | undefined {
  const match = /^(\d+) \d+ \d+\s*$/.exec(text);
  if (!match) return undefined;
  const ns = Number(match[1]);
  return Number.isSafeInteger(ns) ? ns : undefined;
}

/**
 * utime + stime (fields 14 and 15, clock ticks) of a /proc/<pid>/stat line. The command name
 * (field 2) is in parentheses and may hold spaces and parentheses itself, so the fields are
 * counted after the last ')'.
 */
export function parseStatTicks(text: string): number | undefined {
  const end = text.lastIndexOf(')');
  if (end < 0) return undefined;
  // After the name: field 3 (state) is the first, so utime and stime are the 12th and 13th.
  const fields = text
    .slice(end + 1)
    .trim()
    .split(/\s+/);
  const [utime, stime] = [fields[11], fields[12]].map((field) => (field !== undefined && /^\d+$/.test(field) ? Number(field) : Number.NaN));
  return Number.isSafeInteger(utime) && Number.isSafeInteger(stime) ? utime! + stime! : undefined;
}

/**
 * The CPU time spent between two readings of one process, in ms. Thread by thread: a thread
 * born since `before` counts whole, a thread gone by `after` no longer counts, so neither a new
 * worker nor a finished one turns the sum negative.
 */
export function cpuMsBetween(before: ProcessCpu, after: ProcessCpu): number {
  let ns = 0;
  for (const [tid, now] of after.threads) ns += Math.max(0, now - (before.threads.get(tid) ?? 0));
  return ns / 1e6;
}

/** The CPU time of the live threads since the process started, in ms. */
export function totalCpuMs(reading: ProcessCpu): number {
  let ns = 0;
  for (const value of reading.threads.values()) ns += value;
  return ns / 1e6;
}

let clockTicks: number | undefined;

/** USER_HZ, the unit of /proc's tick counts: `getconf CLK_TCK`, 100 where getconf is missing. */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      clockTicks = Number.isSafeInteger(value) && value > 0 ? value : 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/**
 * Reads every live thread of `pid` now (synchronously: a few small files, so the reading sits
 * tight around what it measures). Undefined when the process is gone or /proc tells nothing.
 */
export function readProcessCpu(pid: number): ProcessCpu | undefined {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  if (!schedstatAvailable()) return readThreads(pid, tids, 'stat', parseStatTicks, 1e9 / clockTicksPerSecond());
  return readThreads(pid, tids, 'schedstat', parseSchedstat, 1);
}

let schedstat: boolean | undefined;

/** Kernels without CONFIG_SCHED_INFO have no schedstat files; the answer holds for the boot. */
function schedstatAvailable(): boolean {
  if (schedstat === undefined) {
    try {
      schedstat = parseSchedstat(readFileSync('/proc/self/schedstat', 'utf8')) !== undefined;
    } catch {
      schedstat = false;
    }
  }
  return schedstat;
}

/** Each thread's `source` file, parsed and scaled to nanoseconds. */
function readThreads(
  pid: number,
  tids: string[],
  source: ProcessCpu['source'],
  parse: (text: string) => number | undefined,
  nsPerUnit: number,
): ProcessCpu | undefined {
  const threads = new Map<number, number>();
  for (const tid of tids) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/task/${tid}/${source}`, 'utf8');
    } catch {
      continue; // the thread ended since the listing
    }
    const value = parse(text);
    if (value !== undefined) threads.set(Number(tid), value * nsPerUnit);
  }
  return threads.size > 0 ? { source, threads } : undefined;
}
