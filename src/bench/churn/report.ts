/**
 * `lambda-kit bench`'s figures as a person and a script read them: the table with each twin's
 * ratio to Rust, the goals the project sets itself, results.json and an SVG chart. Pure.
 */
import { percentile } from '../../aws/log-summary.js';
import { median } from '../function-report.js';
import { describeLoad } from '../machine-load.js';
import { pairwiseRatios, spreadOf, verdict, type Spread, type Verdict } from '../ratio-spread.js';
import type { BenchResults, Runtime, RuntimeFigures, Samples } from './figures.js';

export function summarizeSamples(samplesMs: number[]): Samples {
  if (samplesMs.length === 0) return { samplesMs, medianMs: Number.NaN, p95Ms: Number.NaN };
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return { samplesMs, medianMs: median(sorted), p95Ms: percentile(sorted, 95)! };
}

const LABELS: Record<Runtime, string> = { rust: 'Rust', node: 'Node.js', python: 'Python' };

/** How many times faster than each twin Rust's cold start must be (issue 17), as the median of pairwise ratios. */
export const COLD_START_TARGETS: Record<Runtime, number> = { rust: 1, node: 10, python: 5 };
/** Rust's CPU time per warm batch: at most a tenth of each twin's (issue 16). */
export const WARM_CPU_TARGET = 10;
/** Rust's peak memory: at most a third of Node.js's. */
export const MEMORY_TARGET = 3;

export interface Goal {
  /** "cold start vs Node.js" */
  what: string;
  /** How many times better Rust must be, and is (the median of the pairwise ratios where there are pairs). */
  target: number;
  ratio: number;
  /** The ratio reaches the target. */
  met: boolean;
  /** Where the runtimes took turns: the spread of the round-by-round ratios. */
  spread?: Spread;
  /** met, missed, or within noise: the target lies between the pairwise ratios' quartiles. */
  verdict: Verdict;
}

type SampleKey = 'cold' | 'coldCpu' | 'warm' | 'warmCpu';

/**
 * A twin's figure over Rust's: with samples taken in turns, the median of the round-by-round
 * ratios and their spread; otherwise the ratio of the medians.
 */
export function ratioToRust(
  results: BenchResults,
  twin: RuntimeFigures,
  rust: RuntimeFigures,
  key: SampleKey,
): { ratio: number; spread?: Spread } {
  const [t, r] = [twin[key], rust[key]];
  if (!t || !r) return { ratio: Number.NaN };
  if (results.interleaved) {
    const spread = spreadOf(pairwiseRatios(t.samplesMs, r.samplesMs));
    if (spread.n > 0) return { ratio: spread.median, spread };
  }
  return { ratio: t.medianMs / r.medianMs };
}

/**
 * The goals, from the issues that asked for this bench, measured locally: cold start ≥ 10×
 * Node.js and ≥ 5× Python, CPU per warm batch (zero-latency sink) ≤ 1/10 of both, peak memory
 * ≤ 1/3 of Node.js's.
 */
export function goals(results: BenchResults): Goal[] {
  if (results.mode !== 'local') return [];
  const by = (runtime: Runtime) => results.runtimes.find((r) => r.runtime === runtime);
  const rust = by('rust');
  if (!rust) return [];
  const list: Goal[] = [];
  const add = (what: string, target: number, { ratio, spread }: { ratio: number; spread?: Spread }) => {
    const met = ratio >= target;
    list.push({
      what,
      target,
      ratio,
      met,
      ...(spread ? { spread } : {}),
      verdict: spread ? verdict(spread, target) : met ? 'met' : 'missed',
    });
  };
  const twins = (['node', 'python'] as const).flatMap((runtime) => by(runtime) ?? []);
  for (const twin of twins)
    add(`cold start vs ${LABELS[twin.runtime]}`, COLD_START_TARGETS[twin.runtime], ratioToRust(results, twin, rust, 'cold'));
  for (const twin of twins) {
    if (twin.warmCpu && rust.warmCpu)
      add(`CPU per warm batch vs ${LABELS[twin.runtime]}`, WARM_CPU_TARGET, ratioToRust(results, twin, rust, 'warmCpu'));
  }
  const node = by('node');
  if (node) add('peak memory vs Node.js', MEMORY_TARGET, { ratio: node.peakMemoryBytes / rust.peakMemoryBytes });
  return list;
}

/** Each twin's pairwise ratios to Rust, figure by figure, for results.json. */
export function pairedRatios(results: BenchResults): { twin: Runtime; figure: SampleKey; spread: Spread }[] {
  const rust = results.runtimes.find((r) => r.runtime === 'rust');
  if (!rust || !results.interleaved) return [];
  return results.runtimes
    .filter((r) => r !== rust)
    .flatMap((twin) =>
      (['cold', 'coldCpu', 'warm', 'warmCpu'] as const).flatMap((figure) => {
        const { spread } = ratioToRust(results, twin, rust, figure);
        return spread ? [{ twin: twin.runtime, figure, spread }] : [];
      }),
    );
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function formatMb(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

function ratio(value: number, rust: number): string {
  if (!Number.isFinite(value) || !Number.isFinite(rust) || rust <= 0) return '';
  return times(value / rust);
}

const times = (ratio: number) => (Number.isFinite(ratio) ? `${ratio.toFixed(1)}×` : '');

interface Column {
  title: string;
  value: (r: RuntimeFigures) => number;
  format: (n: number) => string;
  /** The samples behind the value, whose pairwise ratios give the twin's ratio when the runtimes took turns. */
  paired?: SampleKey;
}

/** A twin's ratio to Rust in one column: pairwise where it can be, else of the two values. */
function columnRatio(results: BenchResults, column: Column, twin: RuntimeFigures, rust: RuntimeFigures): string {
  if (column.paired && results.interleaved && twin[column.paired] && rust[column.paired])
    return times(ratioToRust(results, twin, rust, column.paired).ratio);
  return ratio(column.value(twin), column.value(rust));
}

/**
 * The table: one row per runtime, each figure followed by its ratio to Rust's (the median of
 * the round-by-round ratios where the runtimes took turns).
 */
export function formatTable(results: BenchResults): string {
  const rust = results.runtimes.find((r) => r.runtime === 'rust');
  const local = results.mode === 'local';
  const cpu = local && results.runtimes.some((r) => r.warmCpu);
  const columns: Column[] = [
    { title: 'cold start', value: (r) => r.cold.medianMs, format: formatMs, paired: 'cold' },
    ...(cpu
      ? [
          {
            title: 'cold CPU',
            value: (r: RuntimeFigures) => r.coldCpu?.medianMs ?? Number.NaN,
            format: formatMs,
            paired: 'coldCpu' as const,
          },
        ]
      : []),
    { title: local ? 'init' : 'init duration', value: (r) => r.init.medianMs, format: formatMs },
    { title: local ? 'warm p50 (zero-latency SQS)' : 'warm p50', value: (r) => r.warm.medianMs, format: formatMs, paired: 'warm' },
    ...(cpu
      ? [
          {
            title: 'warm CPU p50',
            value: (r: RuntimeFigures) => r.warmCpu?.medianMs ?? Number.NaN,
            format: formatMs,
            paired: 'warmCpu' as const,
          },
        ]
      : []),
    { title: 'warm p95', value: (r) => r.warm.p95Ms, format: formatMs },
    ...(local ? [{ title: 'warm p50 (moto)', value: (r: RuntimeFigures) => r.warmMoto?.medianMs ?? Number.NaN, format: formatMs }] : []),
    { title: 'peak memory', value: (r) => r.peakMemoryBytes, format: formatMb },
  ];
  const header = ['', ...columns.map((c) => c.title)];
  const rows = results.runtimes.map((r) => [
    LABELS[r.runtime],
    ...columns.map((c) => {
      const value = c.format(c.value(r));
      const ratioText = rust && r !== rust ? columnRatio(results, c, r, rust) : '';
      return ratioText ? `${value} (${ratioText})` : value;
    }),
  ]);
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('   ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

const VERDICT_MARKS: Record<Verdict, string> = { met: '✓', missed: '✗', 'within noise': '≈' };

/**
 * One line per goal: "✓ cold start vs Python: 17.0× (goal ≥ 5×; 20 rounds, quartiles 16.1–17.9×,
 * range 14.2–19.0×)". ≈ marks a goal within noise: its target lies between the quartiles.
 */
export function formatGoals(list: Goal[]): string {
  return list
    .map((g) => {
      const spread = g.spread
        ? `; ${g.spread.n} rounds, quartiles ${range(g.spread.p25, g.spread.p75)}, range ${range(g.spread.min, g.spread.max)}`
        : '';
      const outcome =
        g.verdict === 'within noise'
          ? `, within noise: the goal lies between the quartiles, so another run could ${g.met ? 'miss' : 'meet'} it`
          : g.met
            ? ''
            : `, missed by ${(g.target / g.ratio).toFixed(1)}×`;
      return `${VERDICT_MARKS[g.verdict]} ${g.what}: ${g.ratio.toFixed(1)}× (goal ≥ ${g.target}×${spread})${outcome}`;
    })
    .join('\n');
}

const range = (low: number, high: number) => `${low.toFixed(1)}–${high.toFixed(1)}×`;

export function describeRun(results: BenchResults): string {
  const versions = results.runtimes.map((r) => `${LABELS[r.runtime]}: ${r.version}`).join(', ');
  const cold = `${results.coldRuns} cold start${results.coldRuns === 1 ? '' : 's'}`;
  const warm = `${results.runs} warm ${results.mode === 'local' ? 'batches' : 'invocations'}`;
  const turns = results.interleaved ? ', the runtimes taking turns' : '';
  const lines = [`${results.records} records per batch; ${cold} and ${warm} per runtime${turns}; ${results.host}`, versions];
  if (results.cpuSource) {
    lines.push(
      `CPU: the function process's threads, from /proc (${results.cpuSource === 'schedstat' ? 'schedstat, ns' : 'stat, clock ticks'}) around each batch`,
    );
  }
  if (results.load) lines.push(`While measuring: ${describeLoad(results.load)}`);
  return lines.join('\n');
}

export function resultsJson(results: BenchResults): string {
  return `${JSON.stringify({ ...results, goals: goals(results), pairedRatios: pairedRatios(results) }, null, 2)}\n`;
}

const COLOURS: Record<Runtime, string> = { rust: '#b7410e', node: '#3c873a', python: '#3776ab' };

/**
 * Panels of horizontal bars: cold start, warm batch, CPU per warm batch (where measured) and peak
 * memory, one bar per runtime with its figure and its ratio to Rust (pairwise where the runtimes
 * took turns, as in the table). Plain SVG: opens in any browser, renders on GitHub.
 */
export function chartSvg(results: BenchResults): string {
  const cpu = results.runtimes.some((r) => r.warmCpu);
  const panels: Column[] = [
    { title: 'Cold start (median)', value: (r) => r.cold.medianMs, format: formatMs, paired: 'cold' },
    {
      title: results.mode === 'local' ? 'Warm batch, zero-latency SQS (median)' : 'Warm invocation (median)',
      value: (r) => r.warm.medianMs,
      format: formatMs,
      paired: 'warm',
    },
    ...(cpu
      ? [
          {
            title: 'CPU per warm batch (median)',
            value: (r: RuntimeFigures) => r.warmCpu?.medianMs ?? Number.NaN,
            format: formatMs,
            paired: 'warmCpu' as const,
          },
        ]
      : []),
    { title: 'Peak memory', value: (r) => r.peakMemoryBytes, format: formatMb },
  ];
  const width = panels.length * 320;
  const panelWidth = width / panels.length;
  const labelWidth = 70;
  const barHeight = 26;
  const top = 70;
  const height = top + results.runtimes.length * (barHeight + 14) + 40;
  const rust = results.runtimes.find((r) => r.runtime === 'rust');
  const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="12" y="24" font-size="16" font-weight="600">Churn predictions, ${results.records} records per batch (lambda-kit bench --${results.mode})</text>`,
    `<text x="12" y="44" fill="#555">${escapeXml(results.host)}; lower is better</text>`,
  ];
  panels.forEach((panel, p) => {
    const x0 = p * panelWidth + 12;
    const barSpace = panelWidth - labelWidth - 110;
    const max = Math.max(...results.runtimes.map(panel.value).filter(Number.isFinite), 1e-9);
    parts.push(`<text x="${x0}" y="${top - 8}" font-weight="600">${escapeXml(panel.title)}</text>`);
    results.runtimes.forEach((r, i) => {
      const y = top + i * (barHeight + 14);
      const value = panel.value(r);
      const length = Number.isFinite(value) ? Math.max(1, (value / max) * barSpace) : 0;
      const times = rust && r !== rust ? columnRatio(results, panel, r, rust) : '';
      parts.push(
        `<text x="${x0}" y="${y + barHeight * 0.68}">${LABELS[r.runtime]}</text>`,
        `<rect x="${x0 + labelWidth}" y="${y}" width="${length.toFixed(1)}" height="${barHeight}" fill="${COLOURS[r.runtime]}" rx="3"/>`,
        `<text x="${(x0 + labelWidth + length + 6).toFixed(1)}" y="${y + barHeight * 0.68}">${escapeXml(panel.format(value))}${times ? ` (${times})` : ''}</text>`,
      );
    });
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
