/**
 * How the viewer writes times, durations and sizes in its lists (a number and its unit joined
 * by a no-break space, so that a narrow panel never splits them).
 */

const NBSP = '\u00a0';

/** clock is a time of day, local, to the second (ms since the epoch). */
export function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour12: false });
}

/** dateTime is a date and time of day, local, to the second. */
export function dateTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${clock(ms)}`;
}

/** duration is a length of time (ms): "0.4 s", "12 s", "3 m 05 s", "1 h 02 m". */
export function duration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${s.toFixed(1)}${NBSP}s`;
  if (s < 60) return `${Math.floor(s)}${NBSP}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}${NBSP}m ${String(Math.floor(s % 60)).padStart(2, '0')}${NBSP}s`;
  return `${Math.floor(m / 60)}${NBSP}h ${String(m % 60).padStart(2, '0')}${NBSP}m`;
}

/** size is a number of bytes: "812 B", "45 kB", "3.1 MB". */
export function size(bytes: number): string {
  if (bytes < 1000) return `${bytes}${NBSP}B`;
  if (bytes < 1e6) return `${Math.round(bytes / 1000)}${NBSP}kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)}${NBSP}MB`;
  return `${(bytes / 1e9).toFixed(2)}${NBSP}GB`;
}

/** num is a measured value, with at most one decimal. */
export function num(v: number): string {
  return String(Math.round(v * 10) / 10);
}
