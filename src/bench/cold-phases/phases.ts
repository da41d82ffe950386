/**
 * The arithmetic of bench:phases, pure: a probe prints the CPU and wall time it had reached at
 * the end of each phase of its cold start; each phase's own cost is the difference from the mark
 * before it (the first phase's is its mark: the runtime starting, from the spawn), and the bench
 * reports each phase's median over the runs, taken run by run so that one slow run moves no
 * phase but its own.
 */
import { median } from '../function-report.js';
import { formatMs } from '../churn/report.js';

/** The phases in the order a probe passes them, as the README's table names them. */
export const PHASES = [
  { key: 'start', label: 'the runtime starting (exec, loading; node or the interpreter)' },
  { key: 'sdkImported', label: 'loading the SDK (Node: evaluating the bundled modules; Python: `import boto3`)' },
  { key: 'client', label: 'building the client' },
  { key: 'firstSend', label: 'the first request (lazy set-up: credentials, endpoint rules, first connection)' },
  { key: 'secondSend', label: 'a second request' },
] as const;

export type PhaseKey = (typeof PHASES)[number]['key'];

/** CPU and wall time in ms. */
export interface Times {
  cpu: number;
  wall: number;
}

/** Where a probe had got to at the end of each phase: CPU since it started, wall since it was spawned. */
export type Marks = Record<PhaseKey, Times>;

/**
 * A probe's marks from its output (the last line that is not empty, a JSON object), or why they
 * cannot be used: a phase missing, a time that is not a finite number ≥ 0, or a time going back.
 */
export function readMarks(stdout: string): Marks | { problem: string } {
  const line = stdout.split('\n').findLast((text) => text.trim() !== '');
  if (line === undefined) return { problem: 'it printed nothing' };
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { problem: `its last line is not JSON: ${line.slice(0, 80)}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { problem: 'its last line is not a JSON object' };
  const marks: Partial<Marks> = {};
  let previous: Times = { cpu: 0, wall: 0 };
  for (const { key } of PHASES) {
    const mark = (value as Record<string, unknown>)[key];
    if (typeof mark !== 'object' || mark === null) return { problem: `no mark for ${key}` };
    const { cpu, wall } = mark as Record<string, unknown>;
    for (const [name, time] of [
      ['cpu', cpu],
      ['wall', wall],
    ] as const) {
      if (typeof time !== 'number' || !Number.isFinite(time) || time < 0)
        return { problem: `${key}.${name} is not a time ≥ 0: ${String(time)}` };
    }
    const times = { cpu: cpu as number, wall: wall as number };
    if (times.cpu < previous.cpu || times.wall < previous.wall) return { problem: `${key} is marked before the phase ahead of it ended` };
    marks[key] = times;
    previous = times;
  }
  return marks as Marks;
}

/** Each phase's own CPU and wall time in one run: its mark less the one before. */
export function phaseTimes(marks: Marks): Marks {
  const times: Partial<Marks> = {};
  let previous: Times = { cpu: 0, wall: 0 };
  for (const { key } of PHASES) {
    times[key] = { cpu: marks[key].cpu - previous.cpu, wall: marks[key].wall - previous.wall };
    previous = marks[key];
  }
  return times as Marks;
}

export interface PhaseMedians {
  phases: Marks;
  /** From the spawn to the end of the second request: the median of the runs' last marks. */
  whole: Times;
  runs: number;
}

/** The medians, phase by phase, of runs' own phase times. */
export function phaseMedians(runs: readonly Marks[]): PhaseMedians {
  if (runs.length === 0) throw new Error('phase medians of no runs');
  const each = runs.map(phaseTimes);
  const phases: Partial<Marks> = {};
  for (const { key } of PHASES) {
    phases[key] = { cpu: median(each.map((run) => run[key].cpu)), wall: median(each.map((run) => run[key].wall)) };
  }
  const last = runs.map((run) => run.secondSend);
  return {
    phases: phases as Marks,
    whole: { cpu: median(last.map((m) => m.cpu)), wall: median(last.map((m) => m.wall)) },
    runs: runs.length,
  };
}

/** The table as the README has it, one column per runtime, each cell "CPU / wall". */
export function formatPhaseTable(columns: readonly { title: string; medians: PhaseMedians }[]): string {
  const cell = (times: Times) => `${formatMs(times.cpu)} / ${formatMs(times.wall)}`;
  const rows = [
    `| phase (median CPU / wall) | ${columns.map((c) => c.title).join(' | ')} |`,
    `| --- |${columns.map(() => ' ---: |').join('')}`,
    ...PHASES.map(({ key, label }) => `| ${label} | ${columns.map((c) => cell(c.medians.phases[key])).join(' | ')} |`),
    `| in all, from the spawn (median of the runs' totals) | ${columns.map((c) => cell(c.medians.whole)).join(' | ')} |`,
  ];
  return `${rows.join('\n')}\n`;
}
