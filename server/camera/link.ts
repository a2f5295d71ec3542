/**
 * The camera's side of the IPC channel to the front. Events (status, stats, replies, logs) are
 * always sent. Frames are sent one at a time: while one has not yet left this process (the
 * front is busy and the channel's buffers are full), the next waits in a one-frame slot where
 * a newer frame replaces it, and each replaced frame is counted. A busy front never receives a
 * backlog of stale frames.
 */
import type { CameraEvent, EncodedFrame } from './messages.js';

/** Channel is the part of a child process's IPC channel the link needs (process.send). */
export interface Channel {
  send(message: unknown, sendHandle?: undefined, options?: undefined, callback?: (error: Error | null) => void): boolean;
}

/** FrontLink sends events and frames to the front. */
export class FrontLink {
  /** frames replaced in the slot before the channel could take them */
  droppedAtPipe = 0;
  private inFlight = false;
  private waiting: EncodedFrame | null = null;
  private closed = false;

  constructor(private readonly channel: Channel) {}

  /** event sends a control event (never dropped). */
  event(ev: Exclude<CameraEvent, EncodedFrame>): void {
    this.post(ev);
  }

  /** frame sends a frame now, or keeps it as the newest to send once the one in flight has left. */
  frame(f: EncodedFrame): void {
    if (this.inFlight) {
      if (this.waiting) this.droppedAtPipe++;
      this.waiting = f;
      return;
    }
    this.inFlight = true;
    this.post(f, () => {
      this.inFlight = false;
      const next = this.waiting;
      this.waiting = null;
      if (next) this.frame(next);
    });
  }

  /** close stops sending (the front is gone). */
  close(): void {
    this.closed = true;
    this.waiting = null;
  }

  private post(message: CameraEvent, sent?: () => void): void {
    if (this.closed) return;
    try {
      this.channel.send(message, undefined, undefined, () => sent?.());
    } catch {
      this.closed = true; // the channel closed under us: the process is about to stop
    }
  }
}
