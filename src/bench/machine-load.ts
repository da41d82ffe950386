/**
 * How busy the machine was while a bench measured: the load averages before and after, and the
 * CPU time that work other than the bench's own used meanwhile. A cold start measured while a
 * compiler runs on the same two cores is slower; these figures say whether that happened.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseCpuTimes, type CpuTimes } from './function-report.js';
import { clockTicksPerSecond } from './process-cpu.js';

/** The 1, 5 and 15 minute load averages: the first three fields of /proc/loadavg. */
export function parseLoadavg(text: string): [number, number, number] | undefined {
  const match = /^(\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) /.exec(text);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

export interface MachineReading {
  /** performance.now() at the reading. */
  at: number;
  loadavg: [number, number, number] | undefined;
  cpu: CpuTimes | undefined;
}

export function readMachine(): MachineReading {
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return '';
    }
  };
  return { at: performance.now(), loadavg: parseLoadavg(read('/proc/loadavg')), cpu: parseCpuTimes(read('/proc/stat')) };
}

export interface MachineLoad {
  loadavgBefore: [number, number, number] | null;
  loadavgAfter: [number, number, number] | null;
  /** How long the window lasted, and the CPU time the machine had in it (cores × wall). */
  wallMs: number;
  capacityMs: number;
  /** CPU time every process used in the window, from /proc/stat. */
  busyMs: number | null;
  /** busyMs less the bench's own (lambda-kit and the functions it measured): what others took. */
  othersMs: number | null;
  /** othersMs as a share of capacityMs, 0–1. */
  othersShare: number | null;
}

/**
 * The load between two readings. `ownMs` is the CPU the bench itself used in the window; what
 * remains of the busy time is other work (and /proc/stat's tick rounding, ± a tick per core).
 */
export function machineLoadBetween(
  before: MachineReading,
  after: MachineReading,
  ownMs: number,
  cores: number,
  msPerTick: number,
): MachineLoad {
  const wallMs = after.at - before.at;
  const capacityMs = wallMs * cores;
  const busyMs = before.cpu && after.cpu ? (after.cpu.total - before.cpu.total - (after.cpu.idle - before.cpu.idle)) * msPerTick : null;
  const othersMs = busyMs === null ? null : Math.max(0, busyMs - ownMs);
  return {
    loadavgBefore: before.loadavg ?? null,
    loadavgAfter: after.loadavg ?? null,
    wallMs,
    capacityMs,
    busyMs,
    othersMs,
    othersShare: othersMs === null || capacityMs <= 0 ? null : Math.min(1, othersMs / capacityMs),
  };
}

/** machineLoadBetween with this machine's core count and tick length. */
export function machineLoadSince(before: MachineReading, ownMs: number): MachineLoad {
  return machineLoadBetween(before, readMachine(), ownMs, cpus().length, 1000 / clockTicksPerSecond());
}

/** "load 1.25 → 1.40; others used 12 % of the CPU (3.1 s of 24.8 s)", for the run's description. */
export function describeLoad(load: MachineLoad): string {
  const avg = (value: [number, number, number] | null) => (value ? value[0].toFixed(2) : '?');
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const others =
    load.othersMs === null || load.othersShare === null
      ? 'CPU used by others unknown'
      : `other processes used ${Math.round(load.othersShare * 100)} % of the CPU (${seconds(load.othersMs)} of ${seconds(load.capacityMs)})`;
  return `load average ${avg(load.loadavgBefore)} → ${avg(load.loadavgAfter)}; ${others}`;
}
