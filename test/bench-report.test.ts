/**
 * lambda-kit bench's report, pure: the goals and their ratios, the table, the SVG, the batch.
 */
import { describe, expect, it } from 'vitest';
import { benchBatch, type BenchResults, type RuntimeFigures } from '../src/bench/churn/figures.js';
import {
  chartSvg,
  describeRun,
  formatGoals,
  formatTable,
  goals,
  pairedRatios,
  resultsJson,
  summarizeSamples,
} from '../src/bench/churn/report.js';

const figures = (runtime: RuntimeFigures['runtime'], cold: number, warm: number, memoryMb: number, cpu = warm / 2): RuntimeFigures => ({
  runtime,
  version: runtime,
  cold: summarizeSamples([cold, cold * 1.1, cold * 0.9]),
  coldCpu: summarizeSamples([cold / 4, cold / 4, cold / 4]),
  init: summarizeSamples([cold / 2]),
  warm: summarizeSamples([warm, warm * 1.2, warm * 0.8]),
  warmCpu: summarizeSamples([cpu, cpu * 1.1, cpu * 0.9]),
  warmMoto: summarizeSamples([warm * 10]),
  peakMemoryBytes: memoryMb * 1_048_576,
});

const results: BenchResults = {
  mode: 'local',
  finishedAt: '2026-11-26T18:00:00.000Z',
  records: 500,
  runs: 3,
  coldRuns: 3,
  host: 'test: linux x64',
  runtimes: [figures('rust', 20, 5, 14, 2), figures('node', 200, 40, 120, 30), figures('python', 300, 70, 60, 16)],
};

/** The same, measured in turns: the table's and the goals' ratios are then taken round by round. */
const interleaved: BenchResults = {
  ...results,
  interleaved: true,
  cpuSource: 'schedstat',
  load: {
    loadavgBefore: [1.2, 1, 1],
    loadavgAfter: [1.4, 1, 1],
    wallMs: 10_000,
    capacityMs: 20_000,
    busyMs: 9000,
    othersMs: 2000,
    othersShare: 0.1,
  },
};

/** Rounds 1–3 of cold starts: Rust 20, 20, 60 ms (a load burst in round 3); Node.js 9, 11, 10 times Rust's in each. */
const bursty = (): BenchResults => {
  const [rust, node, python] = interleaved.runtimes;
  return {
    ...interleaved,
    runtimes: [
      { ...rust!, cold: summarizeSamples([20, 20, 60]) },
      { ...node!, cold: summarizeSamples([180, 220, 600]) },
      { ...python!, cold: summarizeSamples([300, 300, 900]) },
    ],
  };
};

describe('the bench report', () => {
  it('takes the median and the nearest-rank p95 of the samples', () => {
    expect(summarizeSamples([3, 1, 2, 10])).toEqual({ samplesMs: [3, 1, 2, 10], medianMs: 2.5, p95Ms: 10 });
  });

  it('checks the goals locally: cold ≥ 10× Node and ≥ 5× Python, CPU per warm batch ≤ 1/10 of both, memory ≤ 1/3 of Node', () => {
    expect(goals(results).map(({ what, target, ratio, met, verdict }) => [what, target, Number(ratio.toFixed(2)), met, verdict])).toEqual([
      ['cold start vs Node.js', 10, 10, true, 'met'],
      ['cold start vs Python', 5, 15, true, 'met'],
      ['CPU per warm batch vs Node.js', 10, 15, true, 'met'],
      ['CPU per warm batch vs Python', 10, 8, false, 'missed'],
      ['peak memory vs Node.js', 3, 8.57, true, 'met'],
    ]);
    expect(formatGoals(goals(results))).toContain('✗ CPU per warm batch vs Python: 8.0× (goal ≥ 10×), missed by 1.3×');
    expect(goals({ ...results, mode: 'remote' })).toEqual([]);
    // Results without CPU figures (an older results.json, or --remote) have no CPU goals.
    const noCpu = { ...results, runtimes: results.runtimes.map(({ warmCpu: _warmCpu, coldCpu: _coldCpu, ...r }) => r) };
    expect(goals(noCpu).map((g) => g.what)).toEqual(['cold start vs Node.js', 'cold start vs Python', 'peak memory vs Node.js']);
  });

  it('takes the ratios round by round when the runtimes took turns, with their spread', () => {
    // A load burst that slowed round 3 for everyone: the ratio of medians would mix rounds.
    const list = goals(bursty());
    const cold = list.find((g) => g.what === 'cold start vs Node.js')!;
    expect(cold.spread).toEqual({ n: 3, median: 10, p25: 9.5, p75: 10.5, min: 9, max: 11 });
    expect(cold.ratio).toBe(10);
    expect(cold.verdict).toBe('within noise');
    expect(list.find((g) => g.what === 'cold start vs Python')).toMatchObject({ ratio: 15, verdict: 'met', spread: { min: 15, max: 15 } });
    expect(formatGoals(list)).toContain(
      '≈ cold start vs Node.js: 10.0× (goal ≥ 10×; 3 rounds, quartiles 9.5–10.5×, range 9.0–11.0×), within noise: the goal lies between the quartiles, so another run could miss it',
    );
    expect(formatGoals(list)).toMatch(
      /^✓ cold start vs Python: 15\.0× \(goal ≥ 5×; 3 rounds, quartiles 15\.0–15\.0×, range 15\.0–15\.0×\)$/m,
    );
    const json = JSON.parse(resultsJson(bursty())) as { pairedRatios: { twin: string; figure: string; spread: { median: number } }[] };
    expect(json.pairedRatios.map((r) => `${r.twin} ${r.figure}`)).toEqual([
      'node cold',
      'node coldCpu',
      'node warm',
      'node warmCpu',
      'python cold',
      'python coldCpu',
      'python warm',
      'python warmCpu',
    ]);
    expect(pairedRatios(results)).toEqual([]);
  });

  it('tabulates each twin with its ratio to Rust, CPU beside wall time', () => {
    const table = formatTable(results).split('\n');
    expect(table[0]).toMatch(
      /^ +cold start +cold CPU +init +warm p50 \(zero-latency SQS\) +warm CPU p50 +warm p95 +warm p50 \(moto\) +peak memory$/,
    );
    expect(table[1]).toMatch(/^Rust +20\.0 ms +5\.00 ms +10\.0 ms +5\.00 ms +2\.00 ms +6\.00 ms +50\.0 ms +14\.0 MB$/);
    expect(table[2]).toMatch(
      /^Node\.js +200 ms \(10\.0×\) +50\.0 ms \(10\.0×\) +100 ms \(10\.0×\) +40\.0 ms \(8\.0×\) +30\.0 ms \(15\.0×\) +48\.0 ms \(8\.0×\) +400 ms \(8\.0×\) +120\.0 MB \(8\.6×\)$/,
    );
    // Round by round: 10×, the median of 9, 11 and 10; the medians' ratio would say 220 / 20 = 11×.
    expect(formatTable(bursty()).split('\n')[2]).toMatch(/^Node\.js +220 ms \(10\.0×\)/);
    expect(formatTable({ ...bursty(), interleaved: false }).split('\n')[2]).toMatch(/^Node\.js +220 ms \(11\.0×\)/);
    expect(formatTable({ ...results, mode: 'remote' })).not.toMatch(/moto|CPU/);
  });

  it('describes the run: rounds in turns, where the CPU figures come from, and the machine’s load', () => {
    expect(describeRun(interleaved).split('\n')).toEqual([
      '500 records per batch; 3 cold starts and 3 warm batches per runtime, the runtimes taking turns; test: linux x64',
      'Rust: rust, Node.js: node, Python: python',
      "CPU: the function process's threads, from /proc (schedstat, ns) around each batch",
      'While measuring: load average 1.20 → 1.40; other processes used 10 % of the CPU (2.0 s of 20.0 s)',
    ]);
    expect(describeRun(results).split('\n')).toHaveLength(2);
  });

  it('draws four panels of one bar per runtime, lengths in proportion, CPU per warm batch among them', () => {
    const svg = chartSvg(results);
    const widths = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths).toHaveLength(12);
    // Cold start panel: Python's bar is the longest, Rust's a fifteenth of it.
    expect(widths[2]! / widths[0]!).toBeCloseTo(15, 0);
    // CPU panel: Node.js's bar the longest, Rust's a fifteenth of it.
    expect(widths[7]! / widths[6]!).toBeCloseTo(15, 0);
    expect(svg).toContain('CPU per warm batch (median)');
    expect(svg).toContain('30.0 ms (15.0×)');
    expect(svg).toContain('Node.js');
    expect(svg).not.toMatch(/NaN|undefined/);
  });

  it('makes the same batch every time, as Kinesis delivers it', () => {
    const { customers, event } = benchBatch(3);
    expect(benchBatch(3).customers).toEqual(customers);
    const record = event.Records[0] as { kinesis: { data: string; partitionKey: string; sequenceNumber: string } };
    expect(JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8'))).toEqual(customers[0]);
    expect(record.kinesis.partitionKey).toBe(customers[0]!.customer_id);
    expect(record.kinesis.sequenceNumber).toMatch(/^\d{56}$/);
  });
});
