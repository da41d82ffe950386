/**
 * Ratios taken round by round, their spread, and the verdict that says when a goal is within
 * noise; the machine-load figures beside them. Pure, apart from one reading of this machine.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeLoad, machineLoadBetween, parseLoadavg, readMachine, type MachineReading } from '../src/bench/machine-load.js';
import { isWide, needsMoreRounds, pairwiseRatios, quantile, spreadOf, verdict, type Spread } from '../src/bench/ratio-spread.js';

const positive = fc.double({ min: 0.01, max: 1e4, noNaN: true });

describe('pairwiseRatios', () => {
  it('divides each round’s twin figure by Rust’s of the same round', () => {
    expect(pairwiseRatios([200, 180, 400], [20, 20, 40])).toEqual([10, 9, 10]);
  });

  it('skips rounds without both figures or with Rust at zero, and stops at the shorter list', () => {
    expect(pairwiseRatios([200, 180, Number.NaN, 90], [20, 0, 10, 9, 1])).toEqual([10, 10]);
    expect(pairwiseRatios([], [1, 2])).toEqual([]);
  });

  it('cancels a load burst that slows one round of every runtime alike, where the ratio of medians does not', () => {
    // Rust 20 ms and Node.js 200 ms, with rounds 2 and 3 slowed 3× for both by other work.
    const slow = [1, 3, 3, 1, 1];
    const rust = slow.map((f) => 20 * f);
    const node = slow.map((f) => 200 * f);
    expect(spreadOf(pairwiseRatios(node, rust))).toMatchObject({ median: 10, min: 10, max: 10 });
  });
});

describe('spreadOf', () => {
  it('gives the median, the quartiles by interpolation, and the extremes', () => {
    expect(spreadOf([4, 1, 3, 2, 5])).toEqual({ n: 5, median: 3, p25: 2, p75: 4, min: 1, max: 5 });
    expect(spreadOf([1, 2, 3, 4])).toEqual({ n: 4, median: 2.5, p25: 1.75, p75: 3.25, min: 1, max: 4 });
    expect(spreadOf([7])).toEqual({ n: 1, median: 7, p25: 7, p75: 7, min: 7, max: 7 });
    expect(spreadOf([]).n).toBe(0);
    expect(spreadOf([2, Number.NaN, 4]).median).toBe(3);
  });

  it('orders min ≤ p25 ≤ median ≤ p75 ≤ max, whatever the samples and their order', () => {
    fc.assert(
      fc.property(fc.array(positive, { minLength: 1, maxLength: 60 }), (values) => {
        const s = spreadOf(values);
        expect(s.n).toBe(values.length);
        expect(s.min).toBeLessThanOrEqual(s.p25);
        expect(s.p25).toBeLessThanOrEqual(s.median);
        expect(s.median).toBeLessThanOrEqual(s.p75);
        expect(s.p75).toBeLessThanOrEqual(s.max);
        expect(spreadOf([...values].reverse())).toEqual(s);
      }),
    );
  });

  it('quantile 0 and 1 are the extremes', () => {
    expect(quantile([1, 5, 9], 0)).toBe(1);
    expect(quantile([1, 5, 9], 1)).toBe(9);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe('verdict', () => {
  const spread = (p25: number, median: number, p75: number): Spread => ({ n: 20, min: p25 - 1, p25, median, p75, max: p75 + 1 });

  it('is met when even the lower quartile reaches the goal, missed when even the upper one falls short', () => {
    expect(verdict(spread(10, 11, 12), 10)).toBe('met');
    expect(verdict(spread(7, 8, 9.9), 10)).toBe('missed');
    expect(verdict(spread(9, 10.5, 12), 10)).toBe('within noise');
    expect(verdict(spread(8, 9.5, 10), 10)).toBe('within noise');
    expect(verdict({ n: 0, min: NaN, p25: NaN, median: NaN, p75: NaN, max: NaN }, 10)).toBe('missed');
  });

  it('agrees with the median outside the quartiles, and is within noise exactly when the goal lies between them', () => {
    fc.assert(
      fc.property(fc.array(positive, { minLength: 1, maxLength: 40 }), positive, (ratios, target) => {
        const s = spreadOf(ratios);
        const v = verdict(s, target);
        if (v === 'met') expect(s.median).toBeGreaterThanOrEqual(target);
        if (v === 'missed') expect(s.median).toBeLessThan(target);
        expect(v === 'within noise').toBe(s.p25 < target && target <= s.p75);
      }),
    );
  });
});

describe('needsMoreRounds', () => {
  const tight: Spread = { n: 20, min: 11.5, p25: 11.8, median: 12, p75: 12.2, max: 12.5 };
  const wide: Spread = { n: 20, min: 5, p25: 8, median: 12, p75: 15, max: 30 };

  it('asks for more while a spread is wide or a verdict within noise, never past the maximum', () => {
    expect(isWide(tight)).toBe(false);
    expect(isWide(wide)).toBe(true);
    expect(needsMoreRounds([{ spread: tight, target: 10 }], 20, 60)).toBe(false);
    expect(
      needsMoreRounds(
        [
          { spread: tight, target: 10 },
          { spread: wide, target: 5 },
        ],
        20,
        60,
      ),
    ).toBe(true);
    expect(needsMoreRounds([{ spread: tight, target: 12 }], 20, 60)).toBe(true);
    expect(needsMoreRounds([{ spread: wide, target: 5 }], 60, 60)).toBe(false);
    expect(needsMoreRounds([], 3, 3)).toBe(false);
  });

  it('always ends: growing the rounds by blocks reaches the maximum whatever the spreads', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 5 }), fc.boolean(), (start, factor, alwaysWide) => {
        const max = start * factor;
        let rounds = start;
        let steps = 0;
        while (needsMoreRounds([{ spread: alwaysWide ? wide : tight, target: 10 }], rounds, max)) {
          rounds = Math.min(max, rounds + 10);
          steps++;
        }
        expect(rounds).toBeLessThanOrEqual(max);
        expect(steps).toBeLessThanOrEqual(Math.ceil(max / 10));
      }),
    );
  });
});

describe('machine load', () => {
  it('reads the three load averages of /proc/loadavg', () => {
    expect(parseLoadavg('1.25 1.17 1.44 5/118 31595\n')).toEqual([1.25, 1.17, 1.44]);
    expect(parseLoadavg('')).toBeUndefined();
    expect(parseLoadavg('high 1 1 1/1 1')).toBeUndefined();
    fc.assert(
      fc.property(fc.tuple(fc.nat(999), fc.nat(99)), fc.tuple(fc.nat(999), fc.nat(99)), fc.tuple(fc.nat(999), fc.nat(99)), (a, b, c) => {
        const fields = [a, b, c].map(([whole, cents]) => `${whole}.${String(cents).padStart(2, '0')}`);
        expect(parseLoadavg(`${fields.join(' ')} 3/200 4242\n`)).toEqual(fields.map(Number));
      }),
    );
  });

  it('counts as others’ the busy time the bench did not use itself', () => {
    const before: MachineReading = { at: 1000, loadavg: [1, 1, 1], cpu: { idle: 1000, total: 2000 } };
    // 10 s on 2 cores at 10 ms a tick: 2000 ticks, 500 of them busy (5 s), the bench used 2 s.
    const after: MachineReading = { at: 11_000, loadavg: [1.5, 1.1, 1], cpu: { idle: 2500, total: 4000 } };
    const load = machineLoadBetween(before, after, 2000, 2, 10);
    expect(load).toEqual({
      loadavgBefore: [1, 1, 1],
      loadavgAfter: [1.5, 1.1, 1],
      wallMs: 10_000,
      capacityMs: 20_000,
      busyMs: 5000,
      othersMs: 3000,
      othersShare: 0.15,
    });
    expect(describeLoad(load)).toBe('load average 1.00 → 1.50; other processes used 15 % of the CPU (3.0 s of 20.0 s)');
    // The bench's own figure may exceed /proc/stat's by a tick's rounding: others never go negative.
    expect(machineLoadBetween(before, after, 6000, 2, 10).othersMs).toBe(0);
    expect(machineLoadBetween({ ...before, cpu: undefined }, after, 0, 2, 10)).toMatchObject({ busyMs: null, othersShare: null });
  });

  it('reads this machine', () => {
    const reading = readMachine();
    if (process.platform !== 'linux') return;
    expect(reading.loadavg).toHaveLength(3);
    expect(reading.cpu!.total).toBeGreaterThan(reading.cpu!.idle);
  });
});
