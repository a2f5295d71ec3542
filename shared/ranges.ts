/**
 * Naming and colouring colour ranges: the palette, the reserved names, and completing and
 * checking the names of a list of ranges. No imports of values, so that settings.ts and
 * methods.ts can both use it (and each other) without an import cycle at load. The same rules
 * as settings.ts's functions of the same names, which are meant to become re-exports of these.
 */
import type { ColorRange, RangeInput } from './settings.js';

/** RANGE_COLORS are the overlay colours given to new ranges, in turn. */
export const RANGE_COLORS = ['#ff3b30', '#34c759', '#0a84ff', '#ffcc00', '#af52de', '#ff9500', '#5ac8fa', '#ff2d55'] as const;

/**
 * RESERVED_RANGE_NAMES label other analyses: `all` is the whole mask's coverage (a metric
 * label), `motion` the motion mask's when motion is used alone.
 */
export const RESERVED_RANGE_NAMES: readonly string[] = ['all', 'motion'];

/**
 * completeRanges gives every range without a name the first free `rangeN` (N its position, or
 * higher) and every range without a colour the palette's colour for its position.
 */
export function completeRanges(ranges: readonly RangeInput[]): ColorRange[] {
  const taken = new Set(ranges.map((r) => r.name).filter((n): n is string => Boolean(n)));
  return ranges.map((r, i) => {
    let name = r.name;
    if (!name) {
      let n = i + 1;
      while (taken.has(`range${n}`)) n++;
      name = `range${n}`;
      taken.add(name);
    }
    return { name, color: r.color ?? RANGE_COLORS[i % RANGE_COLORS.length]!, lower: [...r.lower], upper: [...r.upper] };
  });
}

/** rangeNamesProblem says why a list of ranges cannot be told apart by name, or null. */
export function rangeNamesProblem(ranges: readonly ColorRange[]): string | null {
  const seen = new Set<string>();
  for (const r of ranges) {
    if (RESERVED_RANGE_NAMES.includes(r.name)) return `a range may not be named "${r.name}" (reserved for ${r.name === 'all' ? 'the whole mask' : 'the motion mask'})`;
    if (seen.has(r.name)) return `two ranges are named "${r.name}"; names must differ (they key the analysis and the metrics)`;
    seen.add(r.name);
  }
  return null;
}
