/**
 * One WebSocket viewer: receives frames of the view it chose (skipping frames while its socket
 * is busy), and sends requests that are decoded, rate-limited, validated and dispatched to the
 * control stage. A bad message is answered with `error`; the socket stays open unless the
 * client keeps misbehaving.
 */
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
  type SourceStatus,
} from '../../shared/protocol.js';
import { VIEWS, type Settings, type View } from '../../shared/settings.js';
import type { Logger } from '../log.js';
import type { Control } from './control.js';
import type { Consumer, Delivery, PublishedFrame } from './hub.js';
import { TokenBucket } from './limiter.js';

/** Limits of one viewer's inbound traffic. */
export const VIEWER_LIMITS = {
  messagesPerSecond: 40, // a dragging slider sends at most one update per frame
  burst: 60,
  /** errors in a row (bad or rate-limited messages) before the socket is closed */
  strikes: 100,
};

/** ViewerContext is what a viewer needs from the server. */
export interface ViewerContext {
  control: Control;
  log: Logger;
  maxBufferedBytes: number;
  status: () => SourceStatus;
  viewers: () => number;
  revision: () => number;
  onViewChange: () => void;
}

/** WsViewer is one connected browser or script. */
export class WsViewer implements Consumer {
  readonly kind = 'ws' as const;
  view: View = 'masked';
  paused = false;
  /** frames skipped because this viewer's socket was still busy */
  dropped = 0;
  private readonly bucket = new TokenBucket(VIEWER_LIMITS.messagesPerSecond, VIEWER_LIMITS.burst);
  private strikes = 0;
  alive = true;

  constructor(
    readonly id: number,
    readonly role: Role,
    readonly socket: WebSocket,
    private readonly ctx: ViewerContext,
  ) {
    socket.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    socket.on('pong', () => {
      this.alive = true;
    });
    socket.on('error', () => undefined); // 'close' follows; nothing to do here
  }

  get watching(): View | null {
    return this.paused ? null : this.view;
  }

  /** deliver sends a frame unless the socket still holds more than the allowed backlog. */
  deliver(frame: PublishedFrame): Delivery {
    if (this.socket.readyState !== WebSocket.OPEN) return 'passed'; // closing: not a busy viewer
    if (this.socket.bufferedAmount > this.ctx.maxBufferedBytes) {
      this.dropped++;
      return 'busy';
    }
    this.socket.send(frame.packed);
    return 'sent';
  }

  /** send packs and sends one message (control traffic, never skipped). */
  send(message: ServerMessage): void {
    this.sendPacked(pack(message));
  }

  sendPacked(bytes: Uint8Array): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(bytes);
  }

  /** hello greets a new viewer with everything it needs to draw its controls. */
  hello(settings: Settings): void {
    this.send({
      type: 'hello',
      version: PROTOCOL_VERSION,
      viewerId: this.id,
      role: this.role,
      settings,
      revision: this.ctx.revision(),
      status: this.ctx.status(),
      viewers: this.ctx.viewers(),
      views: VIEWS,
    });
  }

  sendStatus(): void {
    this.send({ type: 'status', status: this.ctx.status(), viewers: this.ctx.viewers(), dropped: this.dropped });
  }

  private error(code: SegcamError['code'], message: string, ref?: string): void {
    this.send({ type: 'error', code, message, ...(ref ? { ref } : {}) });
  }

  private strike(): void {
    if (++this.strikes >= VIEWER_LIMITS.strikes) {
      this.ctx.log.warn(`viewer ${this.id}: closed after ${this.strikes} bad or excess messages in a row`);
      this.socket.close(CLOSE_CODES.ABUSE, 'too many bad or excess messages');
    }
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (!this.bucket.take()) {
      this.error(ERROR_CODES.RATE_LIMITED, `more than ${VIEWER_LIMITS.messagesPerSecond} messages a second; this one was ignored`);
      return this.strike();
    }
    if (!isBinary) {
      this.error(ERROR_CODES.BAD_MESSAGE, 'messages must be binary msgpack, not text');
      return this.strike();
    }
    const decoded = decodeClientMessage(data);
    if (!decoded.ok) {
      this.error(decoded.error.code, decoded.error.message);
      return this.strike();
    }
    this.dispatch(decoded.value).then(
      () => {
        this.strikes = 0;
      },
      (e: unknown) => {
        const err = e instanceof SegcamError ? e : new SegcamError(ERROR_CODES.INTERNAL, 'internal error');
        if (!(e instanceof SegcamError)) this.ctx.log.error(`viewer ${this.id}: ${decoded.value.type} failed: ${(e as Error).stack ?? String(e)}`);
        this.error(err.code, err.message, decoded.value.type);
        if (err.code === ERROR_CODES.FORBIDDEN) this.strike();
      },
    );
  }

  private async dispatch(msg: ClientMessage): Promise<void> {
    const caller = { id: this.id, role: this.role };
    if (CONTROL_TYPES.has(msg.type) && this.role !== 'control') {
      throw new SegcamError(ERROR_CODES.FORBIDDEN, `the view-only token may not send ${msg.type}`);
    }
    const control = this.ctx.control;
    switch (msg.type) {
      case 'set':
        control.set(msg.settings, caller, msg.id);
        return;
      case 'view':
        this.view = msg.view;
        this.ctx.onViewChange();
        return;
      case 'pause':
        this.paused = msg.paused;
        this.ctx.onViewChange();
        return;
      case 'ping':
        this.send({ type: 'pong', id: msg.id, t: msg.t, server: Date.now() });
        return;
      case 'pick':
        this.send(await control.pick(msg));
        return;
      case 'source':
        await control.switchSource(msg.source, caller);
        return;
      case 'presets':
        this.send({ type: 'presets', ...(await control.listPresets()) });
        return;
      case 'preset-save':
        await control.savePreset(msg.name, caller);
        break;
      case 'preset-load':
        await control.loadPreset(msg.name, caller);
        break;
      case 'preset-delete':
        await control.deletePreset(msg.name, caller);
        break;
      case 'preset-rename':
        await control.renamePreset(msg.name, msg.to, caller);
        break;
    }
    // preset changes: tell this viewer the new list (others see loads through `settings`)
    this.send({ type: 'presets', ...(await control.listPresets()) });
  }
}
