/**
 * What a stretch of a function's logs says about it: how many invocations, how many were cold
 * starts and how long their init took, the duration percentiles, the peak memory against the
 * configured size, and how many failed or timed out.
 *
 * Pure: classified lines in (see log-format.ts), figures out.
 */
import type { ClassifiedLine } from './log-format.js';

export interface Summary {
  invocations: number;
  coldStarts: number;
  medianInitMs: number | undefined;
  p50Ms: number | undefined;
  p95Ms: number | undefined;
  p99Ms: number | undefined;
  maxMemoryUsedMb: number | undefined;
  memorySizeMb: number | undefined;
  errors: number;
  timeouts: number;
}

/** Collects one function's invocations from its classified lines. */
export class InvocationStats {
  private readonly durations: number[] = [];
  private readonly inits: number[] = [];
  private maxMemory: number | undefined;
  private memorySize: number | undefined;
  /** Request ids, so that an invocation's ERROR line and its REPORT status count once. */
  private readonly failed = new Set<string>();
  private readonly timedOut = new Set<string>();
  private anonymousErrors = 0;
  private anonymousTimeouts = 0;

  constructor(memorySizeMb?: number) {
    this.memorySize = memorySizeMb;
  }

  observe(line: ClassifiedLine): void {
    if (line.kind === 'report' && line.report) {
      const report = line.report;
      this.durations.push(report.durationMs);
      if (report.initDurationMs !== undefined) this.inits.push(report.initDurationMs);
      this.maxMemory = Math.max(this.maxMemory ?? 0, report.maxMemoryUsedMb);
      this.memorySize = report.memorySizeMb;
      if (report.status === 'timeout') this.timedOut.add(report.requestId);
      else if (report.status === 'error') this.failed.add(report.requestId);
    } else if (line.kind === 'timeout') {
      if (line.requestId) this.timedOut.add(line.requestId);
      else this.anonymousTimeouts++;
    } else if (line.kind === 'error') {
      if (line.requestId) this.failed.add(line.requestId);
      else this.anonymousErrors++;
    }
  }

  summary(): Summary {
    const sorted = [...this.durations].sort((a, b) => a - b);
    // A timed-out invocation also logs errors; it counts as a timeout only.
    let errors = this.anonymousErrors;
    for (const id of this.failed) if (!this.timedOut.has(id)) errors++;
    return {
      invocations: this.durations.length,
      coldStarts: this.inits.length,
      medianInitMs: percentile(
        [...this.inits].sort((a, b) => a - b),
        50,
      ),
      p50Ms: percentile(sorted, 50),
      p95Ms: percentile(sorted, 95),
      p99Ms: percentile(sorted, 99),
      maxMemoryUsedMb: this.maxMemory,
      memorySizeMb: this.memorySize,
      errors,
      timeouts: this.timedOut.size + this.anonymousTimeouts,
    };
  }
}

/** The nearest-rank percentile of ascending `sorted`: a value that occurred, never an interpolation. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/**
 * `12 invocations · 2 cold starts (median init 31.2 ms) · p50 2.1 ms · p95 8.4 ms · p99 9.9 ms ·
 * memory 22/512 MB · 1 error · 0 timeouts`.
 */
export function formatSummary(summary: Summary): string {
  if (summary.invocations === 0 && summary.errors === 0 && summary.timeouts === 0) return 'no invocations';
  const parts = [plural(summary.invocations, 'invocation')];
  parts.push(
    `${plural(summary.coldStarts, 'cold start')}${summary.medianInitMs !== undefined ? ` (median init ${ms(summary.medianInitMs)})` : ''}`,
  );
  if (summary.p50Ms !== undefined) parts.push(`p50 ${ms(summary.p50Ms)} · p95 ${ms(summary.p95Ms!)} · p99 ${ms(summary.p99Ms!)}`);
  if (summary.maxMemoryUsedMb !== undefined) {
    parts.push(`memory ${summary.maxMemoryUsedMb}${summary.memorySizeMb !== undefined ? `/${summary.memorySizeMb}` : ''} MB`);
  }
  parts.push(plural(summary.errors, 'error'), plural(summary.timeouts, 'timeout'));
  return parts.join(' · ');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function ms(value: number): string {
  return `${value < 100 ? value.toFixed(2) : value < 1000 ? value.toFixed(1) : value.toFixed(0)} ms`;
}
