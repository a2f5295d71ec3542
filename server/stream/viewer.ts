/**
 * One WebSocket viewer of one camera: receives frames of the view it chose, and sends requests
 * that are rate-limited, decoded, validated and dispatched to the camera's control stage. Nothing
 * it does can make the server hold more than a bounded amount for it:
 * - frames: a viewer that acknowledges them (`ack`, as the browser viewer does) gets at most
 *   MAX_IN_FLIGHT ahead of what it has received, so its latency stays within a frame or two of
 *   its link's transfer time; one that does not is skipped while its socket holds more than
 *   --max-buffered bytes;
 * - everything else: while its socket holds more than `controlBacklogBytes`, messages for it are
 *   dropped (counted);
 * - a viewer that takes no frame, or whose socket stays that full, for `backlogCloseMs` is closed.
 * Bad or excess messages are answered with `error` and count as strikes, which decay with time;
 * a client that keeps misbehaving is closed.
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import {
  CLOSE_CODES,
  CONTROL_TYPES,
  ERROR_CODES,
  PROTOCOL_VERSION,
  SegcamError,
  decodeClientMessage,
  pack,
  type ClientMessage,
  type Role,
  type ServerMessage,
  type StatusMessage,
  type SourceStatus,
} from '../../shared/protocol.js';
import { VIEWS, type View } from '../../shared/settings.js';
import type { Control } from '../control/control.js';
import type { Logger } from '../log.js';
import type { Consumer, Delivery, PublishedFrame } from './hub.js';
import { TokenBucket } from './limiter.js';

/** VIEWER_LIMITS bound one viewer's traffic both ways. */
export const VIEWER_LIMITS = {
  messagesPerSecond: 40, // a dragging slider sends at most one update per frame
  burst: 60,
  /** acknowledgements: one per frame received, at up to 240 fps */
  acksPerSecond: 240,
  /** strikes (bad or excess messages) before the socket is closed */
  strikes: 100,
  /** strikes forgiven per second of good behaviour */
  strikeDecayPerSecond: 2,
  /** frames sent and not yet acknowledged, for a viewer that acknowledges */
  maxInFlight: 2,
  /** bytes queued for a socket above which only frames' own rules apply and other messages are dropped */
  controlBacklogBytes: 1024 * 1024,
  /** a socket over the control backlog this long is closed */
  backlogCloseMs: 15_000,
};

/** ViewerContext is what a viewer needs from its camera and the server. */
export interface ViewerContext {
  camera: string;
  cameras: () => string[];
  control: Control;
  log: Logger;
  /** for viewers that do not acknowledge frames: bytes queued above which frames are skipped */
  maxBufferedBytes: number;
  status: () => SourceStatus;
  viewers: () => number;
  revision: () => number;
  onViewChange: () => void;
  /** the camera's rules' states and the recording it is making, for the status message */
  outputs: () => Pick<StatusMessage, 'rules' | 'recording'>;
}

/** WsViewer is one connected browser or script. */
export class WsViewer implements Consumer {
  readonly kind = 'ws' as const;
  view: View = 'masked';
  paused = false;
  /** frames skipped because this viewer was still busy */
  dropped = 0;
  /** messages other than frames not sent because the socket was full */
  droppedControl = 0;
  private readonly bucket = new TokenBucket(VIEWER_LIMITS.messagesPerSecond, VIEWER_LIMITS.burst);
  /** acknowledgements come once a frame: a bucket of their own, so that they never crowd out the rest */
  private readonly ackBucket = new TokenBucket(VIEWER_LIMITS.acksPerSecond, VIEWER_LIMITS.acksPerSecond);
  private strikes = 0;
  private strikesAt = performance.now();
  /** seqs of frames sent and not yet acknowledged (ack mode), oldest first */
  private unacked: number[] = [];
  private acks = false;
  private picking = false;
  private backlogSince: number | null = null;
  /** since when every frame offered has been skipped (the viewer takes nothing) */
  private stuckSince: number | null = null;
  /** the payload of the ping we wait an answer to (an unsolicited pong proves nothing) */
  private pingNonce: Buffer | null = null;
  alive = true;

  constructor(
    readonly id: number,
    readonly role: Role,
    readonly socket: WebSocket,
    private readonly ctx: ViewerContext,
  ) {
    socket.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    socket.on('pong', (data: Buffer) => {
      if (this.pingNonce && data.equals(this.pingNonce)) {
        this.alive = true;
        this.pingNonce = null;
      }
    });
    socket.on('error', () => undefined); // 'close' follows; nothing to do here
  }

  get watching(): View | null {
    return this.paused ? null : this.view;
  }

  /** heartbeat: false if the last ping went unanswered (the caller drops the viewer); else pings again. */
  heartbeat(): boolean {
    if (!this.alive) return false;
    this.alive = false;
    this.pingNonce = randomBytes(8);
    this.socket.ping(this.pingNonce);
    return true;
  }

  /** deliver sends a frame unless this viewer is still busy with the ones before. */
  deliver(frame: PublishedFrame): Delivery {
    if (this.socket.readyState !== WebSocket.OPEN) return 'passed'; // closing: not a busy viewer
    const busy = this.acks ? this.unacked.length >= VIEWER_LIMITS.maxInFlight : this.socket.bufferedAmount > this.ctx.maxBufferedBytes;
    if (busy) {
      this.dropped++;
      const now = performance.now();
      this.stuckSince ??= now;
      if (now - this.stuckSince > VIEWER_LIMITS.backlogCloseMs) {
        this.ctx.log.warn(`viewer ${this.id}: closed: it has taken no frame for ${(VIEWER_LIMITS.backlogCloseMs / 1000).toFixed(0)} s`);
        this.socket.terminate();
      }
      return 'busy';
    }
    this.stuckSince = null;
    this.socket.send(frame.packed);
    if (this.acks) this.unacked.push(frame.seq);
    return 'sent';
  }

  /** send packs and sends one message other than a frame. */
  send(message: ServerMessage): void {
    this.sendPacked(pack(message));
  }

  /** sendPacked sends bytes packed once for many viewers; dropped (counted) while the socket is backlogged. */
  sendPacked(bytes: Uint8Array): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    if (this.checkBacklog()) {
      this.droppedControl++;
      return;
    }
    this.socket.send(bytes);
  }

  /** checkBacklog says whether the socket is over the control backlog, and closes it if it has been for too long. */
  private checkBacklog(): boolean {
    if (this.socket.bufferedAmount <= VIEWER_LIMITS.controlBacklogBytes) {
      this.backlogSince = null;
      return false;
    }
    const now = performance.now();
    this.backlogSince ??= now;
    if (now - this.backlogSince > VIEWER_LIMITS.backlogCloseMs) {
      this.ctx.log.warn(`viewer ${this.id}: closed: it has not read what was sent to it for ${(VIEWER_LIMITS.backlogCloseMs / 1000).toFixed(0)} s`);
      this.socket.terminate();
    }
    return true;
  }

  /** hello greets a new viewer with everything it needs to draw its controls. */
  hello(): void {
    this.send({
      type: 'hello',
      version: PROTOCOL_VERSION,
      viewerId: this.id,
      role: this.role,
      camera: this.ctx.camera,
      cameras: this.ctx.cameras(),
      settings: this.ctx.control.settings,
      revision: this.ctx.revision(),
      status: this.ctx.status(),
      viewers: this.ctx.viewers(),
      views: VIEWS,
    });
  }

  sendStatus(): void {
    this.send({ type: 'status', status: this.ctx.status(), viewers: this.ctx.viewers(), dropped: this.dropped, ...this.ctx.outputs() });
  }

  private error(code: SegcamError['code'], message: string, ref?: string): void {
    this.send({ type: 'error', code, message, ...(ref ? { ref } : {}) });
  }

  /** strike counts one bad or excess message; strikes decay with time, so only persistent abuse closes the socket. */
  private strike(): void {
    const now = performance.now();
    this.strikes = Math.max(0, this.strikes - ((now - this.strikesAt) / 1000) * VIEWER_LIMITS.strikeDecayPerSecond) + 1;
    this.strikesAt = now;
    if (this.strikes >= VIEWER_LIMITS.strikes) {
      this.ctx.log.warn(`viewer ${this.id}: closed after persistent bad or excess messages`);
      this.socket.close(CLOSE_CODES.ABUSE, 'too many bad or excess messages');
    }
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (!isBinary) {
      if (!this.bucket.take()) return this.strike();
      this.error(ERROR_CODES.BAD_MESSAGE, 'messages must be binary msgpack, not text');
      return this.strike();
    }
    const decoded = decodeClientMessage(data);
    const isAck = decoded.ok && decoded.value.type === 'ack';
    if (!(isAck ? this.ackBucket : this.bucket).take()) {
      this.error(
        ERROR_CODES.RATE_LIMITED,
        isAck ? 'more acknowledgements than frames; this one was ignored' : `more than ${VIEWER_LIMITS.messagesPerSecond} messages a second; this one was ignored`,
      );
      return this.strike();
    }
    if (!decoded.ok) {
      this.error(decoded.error.code, decoded.error.message);
      return this.strike();
    }
    this.dispatch(decoded.value).catch((e: unknown) => {
      const err = e instanceof SegcamError ? e : new SegcamError(ERROR_CODES.INTERNAL, 'internal error');
      if (!(e instanceof SegcamError)) this.ctx.log.error(`viewer ${this.id}: ${decoded.value.type} failed: ${(e as Error).stack ?? String(e)}`);
      this.error(err.code, err.message, decoded.value.type);
      if (err.code === ERROR_CODES.FORBIDDEN) this.strike();
    });
  }

  private async dispatch(msg: ClientMessage): Promise<void> {
    const caller = { id: this.id, role: this.role };
    if (CONTROL_TYPES.has(msg.type) && this.role !== 'control') throw new SegcamError(ERROR_CODES.FORBIDDEN, `the view-only token may not send ${msg.type}`);
    const control = this.ctx.control;
    switch (msg.type) {
      case 'set':
        control.set(msg.settings, caller, msg.id);
        return;
      case 'view':
        this.view = msg.view;
        this.unacked = [];
        this.ctx.onViewChange();
        return;
      case 'pause':
        this.paused = msg.paused;
        this.ctx.onViewChange();
        return;
      case 'ack':
        this.acks = true;
        this.unacked = this.unacked.filter((s) => s > msg.seq);
        return;
      case 'ping':
        this.send({ type: 'pong', id: msg.id, t: msg.t, server: Date.now() });
        return;
      case 'pick':
        if (this.picking) throw new SegcamError(ERROR_CODES.BUSY, 'a pick is already being worked out; wait for its answer');
        this.picking = true;
        try {
          this.send(await control.pick(msg));
        } finally {
          this.picking = false;
        }
        return;
      case 'source':
        await control.switchSource(msg.source, caller);
        return;
      case 'presets':
        this.send({ type: 'presets', ...(await control.listPresets()) });
        return;
      case 'preset-save':
        return control.savePreset(msg.name, caller);
      case 'preset-load':
        await control.loadPreset(msg.name, caller);
        return;
      case 'preset-delete':
        return control.deletePreset(msg.name, caller);
      case 'preset-rename':
        return control.renamePreset(msg.name, msg.to, caller);
    }
  }
}
