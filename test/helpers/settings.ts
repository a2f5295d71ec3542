/**
 * Reading settings in tests: the colour method's space and ranges.
 */
import type { ColourMethod } from '../../shared/methods.js';
import type { ColorRange, Settings } from '../../shared/settings.js';

/** colourOf returns the colour method of settings (and fails the test if the method is another). */
export function colourOf(s: Settings): Omit<ColourMethod, 'ranges'> & { ranges: ColorRange[] } {
  if (s.method.kind !== 'colour') throw new Error(`the method is ${s.method.kind}, not colour`);
  return s.method as Omit<ColourMethod, 'ranges'> & { ranges: ColorRange[] };
}
