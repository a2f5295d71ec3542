/**
 * A real WebSocket viewer (the `ws` client) that records what the server sends.
 */
import WebSocket from 'ws';
import { pack, unpackServerMessage, type ClientMessage, type FrameMessage, type ServerMessage } from '../../shared/protocol.js';
import type { ServerHandle } from './server.js';

export class TestViewer {
  readonly messages: ServerMessage[] = [];
  readonly frames: (FrameMessage & { receivedAt: number })[] = [];
  private waiters: { pred: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];
  closed: { code: number; reason: string } | null = null;
  /** keep only the newest N frames (long runs) */
  keepFrames = 1000;
  frameCount = 0;

  constructor(
    readonly ws: WebSocket,
    /** acknowledge each frame as the browser viewer does */
    readonly acks = false,
  ) {
    ws.on('message', (data: Buffer) => {
      const m = unpackServerMessage(data);
      if (m.type === 'frame') {
        if (this.acks && ws.readyState === WebSocket.OPEN) ws.send(pack({ type: 'ack', seq: m.seq }));
        this.frameCount++;
        this.frames.push({ ...m, receivedAt: Date.now() });
        if (this.frames.length > this.keepFrames) this.frames.shift();
      } else this.messages.push(m);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(m)) return true;
        w.resolve(m);
        return false;
      });
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
    });
  }

  /** mark returns a position in the message log; pass it to next() to include messages from then on */
  mark(): number {
    return this.messages.length;
  }

  send(m: ClientMessage): void {
    this.ws.send(pack(m));
  }

  sendRaw(bytes: Uint8Array | string): void {
    this.ws.send(bytes);
  }

  /** next resolves with the next message matching `pred` (including ones already received if `past`). */
  next<T extends ServerMessage>(pred: (m: ServerMessage) => m is T, timeoutMs?: number, from?: number): Promise<T>;
  next(pred: (m: ServerMessage) => boolean, timeoutMs?: number, from?: number): Promise<ServerMessage>;
  next(pred: (m: ServerMessage) => boolean, timeoutMs = 10_000, from?: number): Promise<ServerMessage> {
    if (from !== undefined) {
      const seen = this.messages.slice(from).find(pred);
      if (seen) return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for a message; got ${this.messages.map((m) => m.type).join(',')}`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(t);
          resolve(m);
        },
      });
    });
  }

  /** frameAfter resolves with the next frame (optionally matching) received from now on. */
  nextFrame(pred: (f: FrameMessage) => boolean = () => true, timeoutMs = 10_000): Promise<FrameMessage> {
    return this.next((m) => m.type === 'frame' && pred(m), timeoutMs) as Promise<FrameMessage>;
  }

  close(): void {
    this.ws.close();
  }
}

/** wsUrl is a camera's WebSocket URL (the first camera's `/ws` when none is named). */
export function wsUrl(server: ServerHandle, camera?: string, token: string | null = server.token): string {
  return `ws://127.0.0.1:${server.port}${camera ? `/cam/${camera}/ws` : '/ws'}${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}

/** connectViewer opens a camera's WebSocket with the server's token and waits for `hello`. */
export async function connectViewer(
  server: ServerHandle,
  o: { token?: string | null; headers?: Record<string, string>; camera?: string; acks?: boolean } = {},
): Promise<TestViewer> {
  const token = o.token === undefined ? server.token : o.token;
  const url = wsUrl(server, o.camera, token);
  const ws = new WebSocket(url, { headers: o.headers ?? {} });
  const viewer = new TestViewer(ws, o.acks ?? false);
  const hello = viewer.next((m) => m.type === 'hello');
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  await hello;
  return viewer;
}

/** refusal tries to open /ws and returns the HTTP status of the refusal (or the close code). */
export function wsRefusal(url: string, headers: Record<string, string> = {}): Promise<{ status?: number; body?: string; closeCode?: number; closeReason?: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    ws.once('close', (code, reason) => resolve({ closeCode: code, closeReason: reason.toString() }));
    ws.once('error', () => undefined);
  });
}
