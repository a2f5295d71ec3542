/**
 * How the bench rounds and summarises its figures.
 */

/** r1 rounds to one decimal, r2 to two. */
export const r1 = (x: number): number => Math.round(x * 10) / 10;
export const r2 = (x: number): number => Math.round(x * 100) / 100;

/** pct is the p-th percentile of v (nearest rank), NaN for no values. */
export function pct(v: number[], p: number): number {
  if (!v.length) return NaN;
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
