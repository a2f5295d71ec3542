/**
 * The broadcast stage of one camera: fans each encoded frame out to every consumer of its view.
 * Each frame and view is packed once and the same bytes go to every WebSocket viewer; MJPEG
 * clients get the same JPEG. A consumer that is still busy with earlier frames skips this one
 * (counted): nothing is queued per consumer, and a slow one never slows the rest. The hub
 * numbers the frames itself, so that numbers keep rising when the camera's process restarts.
 */
import { pack, type FrameMessage } from '../../shared/protocol.js';
import type { View } from '../../shared/settings.js';
import type { EncodedFrame } from '../camera/messages.js';

/** PublishedFrame is one frame of one view, packed once for every consumer. */
export interface PublishedFrame {
  view: View;
  seq: number;
  ts: number;
  /** settings revision it was segmented with */
  rev: number;
  placeholder: boolean;
  jpeg: Uint8Array;
  /** the `frame` message, msgpack-packed */
  packed: Uint8Array;
}

/**
 * Delivery is what became of a frame offered to a consumer: sent; skipped because the consumer
 * was still busy with earlier frames (a loss, counted); or passed over without loss (the
 * consumer is closing, or its own frame-rate cap said not yet).
 */
export type Delivery = 'sent' | 'busy' | 'passed';

/** Consumer is anything that receives frames: a WebSocket viewer, an MJPEG client, or a snapshot waiting for one frame. */
export interface Consumer {
  readonly kind: 'ws' | 'mjpeg' | 'snapshot';
  /** The view it watches, or null while paused (hidden tab). */
  readonly watching: View | null;
  /** deliver sends the frame if the consumer can take it, and says what happened. */
  deliver(frame: PublishedFrame): Delivery;
}

/** Hub holds one camera's consumers and publishes frames to them. */
export class Hub {
  private readonly consumers = new Set<Consumer>();
  private demandKey = '';
  private seq = 0;
  /** frames skipped because a consumer was busy, since start */
  dropped = 0;
  /** frames delivered, since start (one per consumer per frame) */
  sent = 0;
  /** the newest frame of each view, for snapshots */
  private readonly newest = new Map<View, PublishedFrame>();

  constructor(
    /** told whenever the set of watched views changes */
    private readonly onDemand: (views: View[]) => void,
  ) {}

  get size(): number {
    return this.consumers.size;
  }

  /** count returns the number of consumers of one kind. */
  count(kind: Consumer['kind']): number {
    let n = 0;
    for (const c of this.consumers) if (c.kind === kind) n++;
    return n;
  }

  add(c: Consumer): void {
    this.consumers.add(c);
    this.updateDemand();
  }

  remove(c: Consumer): void {
    this.consumers.delete(c);
    this.updateDemand();
  }

  /** updateDemand recomputes the watched views; call it when a consumer changes view or pauses. */
  updateDemand(): void {
    const views = this.watchedViews();
    const key = views.join(',');
    if (key !== this.demandKey) {
      this.demandKey = key;
      this.onDemand(views);
    }
  }

  /** watchedViews is the union of what active consumers watch. */
  watchedViews(): View[] {
    const set = new Set<View>();
    for (const c of this.consumers) if (c.watching) set.add(c.watching);
    return [...set].sort();
  }

  /** newestFrame returns the newest published frame of a view, if any. */
  newestFrame(view: View): PublishedFrame | undefined {
    return this.newest.get(view);
  }

  /** forget drops the kept newest frames (e.g. when the source goes away). */
  forget(): void {
    this.newest.clear();
  }

  /** publish packs each view of the frame once and offers it to that view's consumers. */
  publish(frame: Omit<EncodedFrame, 'seq'>): void {
    const seq = ++this.seq;
    for (const { view, jpeg, width, height } of frame.jpegs) {
      const message: FrameMessage = {
        type: 'frame',
        seq,
        ts: frame.ts,
        rev: frame.rev,
        width,
        height,
        view,
        jpeg,
        ...(frame.placeholder ? { placeholder: true } : {}),
        ...(frame.analysis ? { analysis: frame.analysis } : {}),
      };
      const published: PublishedFrame = { view, seq, ts: frame.ts, rev: frame.rev, placeholder: frame.placeholder, jpeg, packed: pack(message) };
      this.newest.set(view, published);
      for (const c of this.consumers) {
        if (c.watching !== view) continue;
        const delivery = c.deliver(published);
        if (delivery === 'sent') this.sent++;
        else if (delivery === 'busy') this.dropped++;
      }
    }
  }
}
