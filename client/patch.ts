/**
 * Settings changes as the viewer keeps them: the local copy follows a patch exactly the way the
 * server applies it (the same shared function: `method` merged into a method of the same kind,
 * else over that kind's defaults; `motion`, `targets`, `transform`, `output` merged; `zones`
 * replaced; the version-1 keys `space`, `ranges`, `quality` understood), and what goes out on
 * the wire is always the difference between two whole settings objects, in today's keys only.
 */
import { applySettingsPatch, type Checked, type SettingsPatch } from '../shared/protocol.js';
import type { Settings } from '../shared/settings.js';

/** applyPatch returns the settings after `patch`, as the server would make them, or why the server would refuse it. */
export function applyPatch(settings: Settings, patch: SettingsPatch): Checked<Settings> {
  return applySettingsPatch(settings, patch);
}

/** MERGED are the top-level keys whose patches merge field by field (the others replace: `method` and `zones` as a whole). */
const MERGED: ReadonlySet<string> = new Set(['motion', 'targets', 'transform', 'output']);
/** NESTED are the fields within those whose patches merge again (`targets.filters`); the rest (crosshair, crop) go whole. */
const NESTED: ReadonlySet<string> = new Set(['filters']);

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** changed is the fields of `to` that differ from `from` (and, for NESTED fields, only their changed parts). */
function changed(from: Record<string, unknown>, to: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(to)) {
    if (same(from[k], to[k])) continue;
    const a = from[k];
    const b = to[k];
    out[k] = NESTED.has(k) && isObject(a) && isObject(b) ? changed(a, b) : structuredClone(b);
  }
  return out;
}

/**
 * diff is the patch that turns `from` into `to`, per top-level key: the method as a whole (of
 * whatever kind), the zones as a whole, and only the changed fields of the merged objects.
 * Applied to `from` (by the server or applyPatch) it gives `to`.
 */
export function diff(from: Settings, to: Settings): SettingsPatch {
  const patch: Record<string, unknown> = {};
  const f = from as unknown as Record<string, unknown>;
  const t = to as unknown as Record<string, unknown>;
  for (const k of Object.keys(t)) {
    if (same(f[k], t[k])) continue;
    patch[k] = MERGED.has(k) && isObject(f[k]) && isObject(t[k]) ? changed(f[k] as Record<string, unknown>, t[k] as Record<string, unknown>) : structuredClone(t[k]);
  }
  return patch as SettingsPatch;
}

/** mergePatch is one patch that does what `a` then `b` do, for patches made by diff (today's keys only). */
export function mergePatch(a: SettingsPatch | null, b: SettingsPatch): SettingsPatch {
  if (!a) return b;
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b) as [string, unknown][]) {
    const prev = out[k];
    if (MERGED.has(k) && isObject(prev) && isObject(v)) {
      const merged: Record<string, unknown> = { ...prev, ...v };
      for (const n of NESTED) {
        const p = prev[n];
        const q = v[n];
        if (isObject(p) && isObject(q)) merged[n] = { ...p, ...q };
      }
      out[k] = merged;
    } else out[k] = v;
  }
  return out as SettingsPatch;
}

/** isEmpty tells whether a patch changes nothing. */
export function isEmpty(p: SettingsPatch): boolean {
  return Object.keys(p).length === 0;
}
