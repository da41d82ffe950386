/**
 * Ratios that noise cannot flip unnoticed. The runtimes are measured in rounds (Rust, Node.js,
 * Python, Rust, ...), so a burst of load on the machine slows the samples of one round alike;
 * each twin's sample over Rust's of the same round cancels it, and the spread of those ratios
 * says how far one run can be trusted. Pure.
 */

export interface Spread {
  n: number;
  median: number;
  /** The quartiles, by linear interpolation between the order statistics. */
  p25: number;
  p75: number;
  min: number;
  max: number;
}

/** The value at quantile `q` (0–1) of ascending `sorted`, interpolating between neighbours. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

export function spreadOf(values: readonly number[]): Spread {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: quantile(sorted, 0.5),
    p25: quantile(sorted, 0.25),
    p75: quantile(sorted, 0.75),
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
  };
}

/**
 * twin[i] / rust[i] for each round i both have; a round where either figure is missing or Rust's
 * is not positive gives no ratio rather than an infinite one.
 */
export function pairwiseRatios(twin: readonly number[], rust: readonly number[]): number[] {
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(twin.length, rust.length); i++) {
    const [t, r] = [twin[i]!, rust[i]!];
    if (Number.isFinite(t) && Number.isFinite(r) && r > 0 && t >= 0) ratios.push(t / r);
  }
  return ratios;
}

/**
 * A goal of "at least `target` times" against the spread of the ratios: met when even the lower
 * quartile reaches it, missed when even the upper quartile falls short, and within noise when
 * the target lies between the quartiles, where another run could go either way.
 */
export type Verdict = 'met' | 'missed' | 'within noise';

export function verdict(spread: Spread, target: number): Verdict {
  if (spread.n === 0) return 'missed';
  if (spread.p25 >= target) return 'met';
  if (spread.p75 < target) return 'missed';
  return 'within noise';
}

/** A spread is wide when its quartiles lie more than this share of the median apart. */
export const WIDE_SPREAD = 0.25;

export function isWide(spread: Spread): boolean {
  return spread.n > 0 && (spread.p75 - spread.p25) / spread.median > WIDE_SPREAD;
}

/**
 * Whether the bench should measure another block of rounds: some verdict is within noise or some
 * spread is wide, and `rounds` is still under `maxRounds` (so it always ends).
 */
export function needsMoreRounds(checks: readonly { spread: Spread; target: number }[], rounds: number, maxRounds: number): boolean {
  if (rounds >= maxRounds) return false;
  return checks.some(({ spread, target }) => isWide(spread) || verdict(spread, target) === 'within noise');
}
