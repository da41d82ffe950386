/**
 * bench:phases' arithmetic: a probe's marks read from its output, each phase's own time as the
 * difference from the mark before, and the medians run by run.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PHASES, phaseMedians, phaseTimes, readMarks, type Marks, type PhaseKey } from '../src/bench/cold-phases/phases.js';

const KEYS = PHASES.map((phase) => phase.key);

/** A probe's marks: five steps ≥ 0 of CPU and wall, added up as a probe reaches them. */
const marksArbitrary: fc.Arbitrary<Marks> = fc
  .array(fc.record({ cpu: fc.double({ min: 0, max: 1e4, noNaN: true }), wall: fc.double({ min: 0, max: 1e4, noNaN: true }) }), {
    minLength: KEYS.length,
    maxLength: KEYS.length,
  })
  .map((steps) => {
    const marks: Partial<Marks> = {};
    let cpu = 0;
    let wall = 0;
    steps.forEach((step, i) => {
      cpu += step.cpu;
      wall += step.wall;
      marks[KEYS[i]!] = { cpu, wall };
    });
    return marks as Marks;
  });

const keyArbitrary = fc.constantFrom(...KEYS);

describe('readMarks', () => {
  it("reads back any probe's marks from its last line, whatever it printed before", () => {
    fc.assert(
      fc.property(marksArbitrary, fc.array(fc.string({ unit: 'grapheme-ascii' }).map((s) => s.replace(/\n/g, ' '))), (marks, before) => {
        const stdout = [...before, JSON.stringify(marks), ''].join('\n');
        expect(readMarks(stdout)).toEqual(marks);
      }),
    );
  });

  it('refuses marks with a phase missing, a time that is not a finite number ≥ 0, or a time going back', () => {
    const broken = fc.oneof(
      fc.tuple(marksArbitrary, keyArbitrary).map(([marks, key]) => {
        const { [key]: _missing, ...rest } = marks;
        return { text: JSON.stringify(rest), key };
      }),
      fc
        .tuple(marksArbitrary, keyArbitrary, fc.constantFrom('cpu', 'wall'), fc.constantFrom('-1', 'null', '"12"', '1e400', '[]'))
        .map(([marks, key, field, bad]) => ({
          text: JSON.stringify({ ...marks, [key]: { ...marks[key], [field]: '__BAD__' } }).replace('"__BAD__"', bad),
          key,
        })),
      fc
        .tuple(marksArbitrary, fc.integer({ min: 1, max: KEYS.length - 1 }), fc.constantFrom('cpu', 'wall'))
        .map(([marks, index, field]) => {
          const key = KEYS[index]!;
          const ahead = marks[KEYS[index - 1]!];
          return { text: JSON.stringify({ ...marks, [key]: { ...marks[key], [field]: ahead[field] - 1 } }), key };
        })
        .filter(({ text }) => !text.includes('-')),
    );
    fc.assert(
      fc.property(broken, ({ text, key }) => {
        const read = readMarks(`${text}\n`);
        expect(read).toHaveProperty('problem');
        expect((read as { problem: string }).problem).toContain(key);
      }),
    );
  });

  it('says so, in one line, for output that holds no marks at all', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constant(''), fc.constant('\n\n'), fc.constant('Traceback (most recent call last):'), fc.constant('[1,2]')),
        (stdout) => {
          const read = readMarks(stdout);
          expect(read).toHaveProperty('problem');
          expect((read as { problem: string }).problem).not.toContain('\n');
        },
      ),
    );
  });
});

describe('phaseTimes', () => {
  it("gives each phase its own share: ≥ 0, adding up to the last mark, the first phase's being its mark", () => {
    fc.assert(
      fc.property(marksArbitrary, (marks) => {
        const times = phaseTimes(marks);
        for (const field of ['cpu', 'wall'] as const) {
          const shares = KEYS.map((key) => times[key][field]);
          expect(shares.every((share) => share >= 0)).toBe(true);
          expect(shares.reduce((sum, share) => sum + share, 0)).toBeCloseTo(marks.secondSend[field], 6);
          expect(times.start[field]).toBe(marks.start[field]);
        }
      }),
    );
  });

  it('is exact on a worked example', () => {
    const marks: Marks = {
      start: { cpu: 49, wall: 60 },
      sdkImported: { cpu: 70.5, wall: 84 },
      client: { cpu: 73, wall: 86.5 },
      firstSend: { cpu: 90, wall: 110 },
      secondSend: { cpu: 93, wall: 114 },
    };
    expect(phaseTimes(marks)).toEqual({
      start: { cpu: 49, wall: 60 },
      sdkImported: { cpu: 21.5, wall: 24 },
      client: { cpu: 2.5, wall: 2.5 },
      firstSend: { cpu: 17, wall: 23.5 },
      secondSend: { cpu: 3, wall: 4 },
    });
  });
});

describe('phaseMedians', () => {
  it("takes each phase's median of the runs' own phase times, whatever the order of the runs", () => {
    fc.assert(
      fc.property(fc.array(marksArbitrary, { minLength: 1, maxLength: 15 }), fc.integer({ min: 0, max: 14 }), (runs, turn) => {
        const medians = phaseMedians(runs);
        const reordered = [...runs.slice(turn % runs.length), ...runs.slice(0, turn % runs.length)].reverse();
        expect(phaseMedians(reordered)).toEqual(medians);
        expect(medians.runs).toBe(runs.length);
        const each = runs.map(phaseTimes);
        for (const key of KEYS as PhaseKey[]) {
          for (const field of ['cpu', 'wall'] as const) {
            const values = each.map((run) => run[key][field]).sort((a, b) => a - b);
            const median = medians.phases[key][field];
            expect(median).toBeGreaterThanOrEqual(values[0]!);
            expect(median).toBeLessThanOrEqual(values.at(-1)!);
            // No more than half the runs on either side of it.
            expect(values.filter((v) => v < median).length).toBeLessThanOrEqual(values.length / 2);
            expect(values.filter((v) => v > median).length).toBeLessThanOrEqual(values.length / 2);
          }
        }
      }),
    );
  });

  it('takes the median run by run, so one slow run moves no phase but its own', () => {
    const quick: Marks = {
      start: { cpu: 10, wall: 10 },
      sdkImported: { cpu: 20, wall: 20 },
      client: { cpu: 30, wall: 30 },
      firstSend: { cpu: 40, wall: 40 },
      secondSend: { cpu: 50, wall: 50 },
    };
    // The runtime starting took 1000 ms longer once: every later mark moves with it.
    const slowStart = Object.fromEntries(KEYS.map((key) => [key, { cpu: quick[key].cpu + 1000, wall: quick[key].wall + 1000 }])) as Marks;
    const { phases, whole } = phaseMedians([quick, quick, slowStart]);
    expect(phases.start).toEqual({ cpu: 10, wall: 10 });
    expect(phases.secondSend).toEqual({ cpu: 10, wall: 10 });
    expect(whole).toEqual({ cpu: 50, wall: 50 });
  });
});
