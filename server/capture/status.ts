/**
 * The one owner of a camera's source status inside its process. Each capture loop writes
 * through a reporter it was given when it started; starting a new loop (a source switch)
 * claims the status, and every earlier reporter goes silent, so a retired loop's last words
 * ("stopped") can never overwrite the new loop's "live".
 */
import { REASONS, type SourceStatus } from '../../shared/status.js';

/** StatusUpdate is a status without its time (the owner stamps `since`). */
export type StatusUpdate = Omit<SourceStatus, 'since'>;

/** StatusReporter writes the status, if its loop still owns it. */
export type StatusReporter = (update: StatusUpdate) => void;

/** StatusOwner holds the current status and hands out reporters. */
export class StatusOwner {
  private generation = 0;
  private value: SourceStatus;

  constructor(
    initial: StatusUpdate,
    /** called with every accepted change */
    private readonly publish: (status: SourceStatus) => void,
  ) {
    this.value = { ...initial, since: Date.now() };
  }

  get current(): SourceStatus {
    return this.value;
  }

  /** claim returns the reporter of a new capture loop; the reporters handed out before it go silent. */
  claim(): StatusReporter {
    const mine = ++this.generation;
    return (update) => {
      if (mine !== this.generation) return; // retired
      this.value = { ...update, since: Date.now() };
      this.publish(this.value);
    };
  }

  /** retireAll silences every reporter (the camera is stopping) and records the final status. */
  retireAll(source: string, kind: SourceStatus['kind']): void {
    this.generation++;
    this.value = { state: 'offline', reason: REASONS.STOPPED, source, kind, error: 'stopped', since: Date.now() };
    this.publish(this.value);
  }
}
