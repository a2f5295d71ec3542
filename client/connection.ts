/**
 * The viewer's connection: one WebSocket to /ws (the cookie carries the token), reconnecting by
 * itself with capped, jittered backoff; a ping/pong loop that estimates the offset between the
 * server's clock and this one (for end-to-end latency), and the view choice kept across
 * reconnects.
 */
import { CLOSE_CODES, WS_PATH, pack, unpackServerMessage, type ClientMessage, type ServerMessage } from '../shared/protocol.js';
import type { View } from '../shared/settings.js';

export type ConnectionState =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'open' }
  | { kind: 'waiting'; attempt: number; retryAt: number; reason: string }
  | { kind: 'refused'; reason: string };

const PING_EVERY_MS = 2000;
const RETRY = { minMs: 500, maxMs: 10_000 };

/** Connection keeps one WebSocket open to the server. */
export class Connection {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private pingTimer = 0;
  private pingId = 0;
  /** server clock minus this clock, ms (from the ping with the shortest round trip) */
  clockOffset = 0;
  rtt = Infinity;
  private bestRtt = Infinity;
  view: View;
  paused = false;

  constructor(
    private readonly onMessage: (m: ServerMessage) => void,
    private readonly onState: (s: ConnectionState) => void,
    initialView: View,
  ) {
    this.view = initialView;
  }

  open(): void {
    this.attempt++;
    this.onState({ kind: 'connecting', attempt: this.attempt });
    const url = new URL(WS_PATH, location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.attempt = 0;
      this.bestRtt = Infinity;
      this.onState({ kind: 'open' });
      this.send({ type: 'view', view: this.view });
      if (this.paused) this.send({ type: 'pause', paused: true });
      this.ping();
      this.pingTimer = window.setInterval(() => this.ping(), PING_EVERY_MS);
    };
    ws.onmessage = (ev) => {
      const msg = unpackServerMessage(new Uint8Array(ev.data as ArrayBuffer));
      if (msg.type === 'pong') this.onPong(msg.t, msg.server);
      this.onMessage(msg);
    };
    ws.onclose = (ev) => {
      window.clearInterval(this.pingTimer);
      this.ws = null;
      if (ev.code === CLOSE_CODES.ABUSE) return this.onState({ kind: 'refused', reason: `closed by the server: ${ev.reason}` });
      const reason = ev.reason || (opened ? 'connection lost' : 'server unreachable');
      this.retry(ev.code === CLOSE_CODES.TRY_AGAIN_LATER ? `${reason}; waiting for a free place` : reason);
    };
  }

  private retry(reason: string): void {
    const delay = Math.min(RETRY.maxMs, RETRY.minMs * 2 ** Math.min(10, this.attempt)) * (0.75 + Math.random() * 0.25);
    const retryAt = Date.now() + delay;
    this.onState({ kind: 'waiting', attempt: this.attempt + 1, retryAt, reason });
    window.setTimeout(() => this.open(), delay);
  }

  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  send(m: ClientMessage): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(pack(m));
    return true;
  }

  setView(view: View): void {
    this.view = view;
    this.send({ type: 'view', view });
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    this.send({ type: 'pause', paused });
  }

  /** serverNow estimates the server's clock now. */
  serverNow(): number {
    return Date.now() + this.clockOffset;
  }

  private ping(): void {
    this.send({ type: 'ping', id: ++this.pingId, t: performance.timeOrigin + performance.now() });
  }

  private onPong(sentAt: number, server: number): void {
    const now = performance.timeOrigin + performance.now();
    const rtt = now - sentAt;
    this.rtt = rtt;
    if (rtt <= this.bestRtt * 1.5 || !Number.isFinite(this.bestRtt)) {
      // NTP-style: the server read its clock half way through the round trip
      this.bestRtt = Math.min(this.bestRtt, rtt);
      this.clockOffset = server - (sentAt + rtt / 2);
    }
  }
}
