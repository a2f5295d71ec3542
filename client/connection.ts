/**
 * The viewer's connection to one camera: one WebSocket to /cam/NAME/ws (the cookie carries the
 * token), reconnecting by itself with capped, jittered backoff; every frame acknowledged as it
 * arrives (the server then sends at most a couple ahead, so a slow link shows the present, not
 * a backlog); a ping/pong loop that estimates the offset between the server's clock and this
 * one (for end-to-end latency); and the view choice kept across reconnects. When it cannot
 * connect, it asks the HTTP side why, so that a wrong token says so instead of retrying forever.
 */
import { CLOSE_CODES, WS_PATH, cameraPrefix, pack, unpackServerMessage, type ClientMessage, type ServerMessage } from '../shared/protocol.js';
import type { View } from '../shared/settings.js';

export type ConnectionState =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'open' }
  | { kind: 'waiting'; attempt: number; retryAt: number; reason: string }
  | { kind: 'refused'; reason: string; tokenWrong: boolean };

const PING_EVERY_MS = 2000;
const RETRY = { minMs: 500, maxMs: 10_000 };

/** cameraOfPage is the camera a page shows: NAME in /cam/NAME/, or null for the top-level page. */
export function cameraOfPage(path: string = location.pathname): string | null {
  const m = /^\/cam\/([^/]+)\//.exec(path);
  return m ? decodeURIComponent(m[1]!) : null;
}

/** Connection keeps one WebSocket open to one camera. */
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
    /** the camera, or null for the first one (`/ws`) */
    readonly camera: string | null,
    private readonly onMessage: (m: ServerMessage) => void,
    private readonly onState: (s: ConnectionState) => void,
    initialView: View,
  ) {
    this.view = initialView;
  }

  /** apiUrl is a URL of this camera's HTTP API. */
  apiUrl(path: string): string {
    return `${this.camera ? cameraPrefix(this.camera) : ''}${path}`;
  }

  open(): void {
    this.attempt++;
    this.onState({ kind: 'connecting', attempt: this.attempt });
    const url = new URL(this.camera ? `${cameraPrefix(this.camera)}${WS_PATH}` : WS_PATH, location.href);
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
      this.send({ type: 'ack', seq: 0 }); // this viewer acknowledges frames: the server keeps at most a couple in flight
      this.send({ type: 'view', view: this.view });
      if (this.paused) this.send({ type: 'pause', paused: true });
      this.ping();
      this.pingTimer = window.setInterval(() => this.ping(), PING_EVERY_MS);
    };
    ws.onmessage = (ev) => {
      const msg = unpackServerMessage(new Uint8Array(ev.data as ArrayBuffer));
      if (msg.type === 'frame') this.send({ type: 'ack', seq: msg.seq }); // received; decoding is our own business
      if (msg.type === 'pong') this.onPong(msg.t, msg.server);
      this.onMessage(msg);
    };
    ws.onclose = (ev) => {
      window.clearInterval(this.pingTimer);
      this.ws = null;
      if (ev.code === CLOSE_CODES.ABUSE) return this.onState({ kind: 'refused', reason: `closed by the server: ${ev.reason}`, tokenWrong: false });
      if (!opened) return void this.diagnose();
      const reason = ev.reason || 'connection lost';
      this.retry(ev.code === CLOSE_CODES.TRY_AGAIN_LATER ? `${reason}; waiting for a free place` : reason);
    };
  }

  /** diagnose asks the HTTP side why the socket could not open: a refused token stops the retries. */
  private async diagnose(): Promise<void> {
    try {
      const res = await fetch(this.apiUrl('/api/status'), { credentials: 'same-origin' });
      if (res.status === 401 || res.status === 403) {
        const body = (await res.json().catch(() => ({}))) as { message?: string };
        return this.onState({ kind: 'refused', reason: body.message ?? `refused (${res.status})`, tokenWrong: true });
      }
      if (res.status === 404) return this.onState({ kind: 'refused', reason: `there is no camera ${this.camera ?? ''} on this server`, tokenWrong: false });
      this.retry(res.status === 429 ? 'too many wrong tokens right now' : 'server unreachable');
    } catch {
      this.retry('server unreachable');
    }
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
