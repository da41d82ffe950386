/**
 * lambda-kit bench's report, pure: the goals and their ratios, the table, the SVG, the batch.
 */
import { describe, expect, it } from 'vitest';
import { benchBatch, type BenchResults, type RuntimeFigures } from '../src/bench/churn/figures.js';
import { chartSvg, formatGoals, formatTable, goals, summarizeSamples } from '../src/bench/churn/report.js';

const figures = (runtime: RuntimeFigures['runtime'], cold: number, warm: number, memoryMb: number): RuntimeFigures => ({
  runtime,
  version: runtime,
  cold: summarizeSamples([cold, cold * 1.1, cold * 0.9]),
  init: summarizeSamples([cold / 2]),
  warm: summarizeSamples([warm, warm * 1.2, warm * 0.8]),
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
  runtimes: [figures('rust', 20, 5, 14), figures('node', 200, 40, 120), figures('python', 300, 70, 60)],
};

describe('the bench report', () => {
  it('takes the median and the nearest-rank p95 of the samples', () => {
    expect(summarizeSamples([3, 1, 2, 10])).toEqual({ samplesMs: [3, 1, 2, 10], medianMs: 2.5, p95Ms: 10 });
  });

  it('checks the goals locally: cold ≥ 8× Node and ≥ 5× Python, warm ≥ 10× both, memory ≤ 1/3 of Node', () => {
    expect(goals(results).map(({ what, target, ratio, met }) => [what, target, Number(ratio.toFixed(2)), met])).toEqual([
      ['cold start vs Node.js', 8, 10, true],
      ['cold start vs Python', 5, 15, true],
      ['warm batch vs Node.js', 10, 8, false],
      ['warm batch vs Python', 10, 14, true],
      ['peak memory vs Node.js', 3, 8.57, true],
    ]);
    expect(formatGoals(goals(results))).toContain('✗ warm batch vs Node.js: 8.0× (goal ≥ 10×), missed by 1.3×');
    expect(goals({ ...results, mode: 'remote' })).toEqual([]);
  });

  it('tabulates each twin with its ratio to Rust', () => {
    const table = formatTable(results).split('\n');
    expect(table[0]).toMatch(/^ +cold start +init +warm p50 \(zero-latency SQS\) +warm p95 +warm p50 \(moto\) +peak memory$/);
    expect(table[1]).toMatch(/^Rust +20\.0 ms +10\.0 ms +5\.00 ms +6\.00 ms +50\.0 ms +14\.0 MB$/);
    expect(table[2]).toMatch(/^Node\.js +200 ms \(10\.0×\) +100 ms \(10\.0×\) +40\.0 ms \(8\.0×\) +48\.0 ms \(8\.0×\) +400 ms \(8\.0×\) +120\.0 MB \(8\.6×\)$/);
    expect(formatTable({ ...results, mode: 'remote' })).not.toContain('moto');
  });

  it('draws three panels of one bar per runtime, lengths in proportion', () => {
    const svg = chartSvg(results);
    const widths = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths).toHaveLength(9);
    // Cold start panel: Python's bar is the longest, Rust's a fifteenth of it.
    expect(widths[2]! / widths[0]!).toBeCloseTo(15, 0);
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
