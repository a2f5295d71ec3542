/**
 * A frame of one view made with a camera's current settings, for whoever needs a single picture
 * (a snapshot request, the picture of a rule change): the hub's kept newest one when it is fresh,
 * else the next one published. Asking is itself a one-frame consumer, so a camera nobody watches
 * renders and encodes that view for the one frame.
 */
import type { View } from '../../shared/settings.js';
import type { Delivery, Hub, PublishedFrame } from './hub.js';

/** FRESH_MS: a kept frame this young, of the current revision, is served as it is. */
export const FRESH_MS = 1000;
/** WAIT_MS is the longest wait for the next frame. */
export const WAIT_MS = 4000;

/**
 * currentFrame resolves with a camera frame (not a placeholder) of `view` segmented with
 * revision `rev` or later, and captured at `minTs` or later (a rule change's picture is of the
 * frame that changed it, not the one before); after `waitMs` without one, with the newest kept
 * frame (which may be a placeholder, older, or none).
 */
export function currentFrame(hub: Hub, view: View, rev: number, o: { minTs?: number; waitMs?: number } = {}): Promise<PublishedFrame | undefined> {
  const minTs = o.minTs ?? 0;
  const waitMs = o.waitMs ?? WAIT_MS;
  const kept = hub.newestFrame(view);
  if (kept && !kept.placeholder && kept.rev >= rev && kept.ts >= minTs && Date.now() - kept.ts < FRESH_MS) return Promise.resolve(kept);
  return new Promise((resolve) => {
    let done = false;
    const once = {
      kind: 'snapshot' as const,
      watching: view,
      deliver: (f: PublishedFrame): Delivery => {
        if (f.placeholder || f.rev < rev || f.ts < minTs) return 'passed'; // no picture yet, or made before the change: wait for the next
        finish(f);
        return 'sent';
      },
    };
    const timer = setTimeout(() => finish(hub.newestFrame(view)), waitMs);
    function finish(f: PublishedFrame | undefined): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      hub.remove(once);
      resolve(f);
    }
    hub.add(once);
  });
}
