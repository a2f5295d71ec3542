/**
 * The bench's WebSocket viewers: each counts the frames and bytes it receives and the latency
 * of each frame (capture time to arrival here), and the percentiles of those latencies.
 */
import WebSocket from 'ws';
import { pack, unpackServerMessage } from '../../shared/protocol.js';
import { pct, r1 } from './figures.js';

export interface BenchViewer {
  ws: WebSocket;
  frames: number;
  bytes: number;
  latencies: number[];
}

/**
 * connect opens one viewer that acknowledges each frame on arrival, as the browser viewer does;
 * a stalled one never reads (its socket is paused) and so never acknowledges anything.
 */
export async function connect(url: string, stalled = false): Promise<BenchViewer> {
  const ws = new WebSocket(url);
  const v: BenchViewer = { ws, frames: 0, bytes: 0, latencies: [] };
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  if (stalled) (ws as unknown as { _socket: { pause(): void } })._socket.pause();
  else ws.send(pack({ type: 'ack', seq: 0 }));
  ws.on('message', (data: Buffer) => {
    const now = Date.now();
    const m = unpackServerMessage(data);
    if (m.type !== 'frame') return;
    ws.send(pack({ type: 'ack', seq: m.seq }));
    if (m.placeholder) return;
    v.frames++;
    v.bytes += data.length;
    v.latencies.push(now - m.ts);
  });
  return v;
}

/** reset starts a new measurement window. */
export const reset = (vs: BenchViewer[]): void => {
  for (const v of vs) {
    v.frames = 0;
    v.bytes = 0;
    v.latencies = [];
  }
};

/** latency summarises the viewers' latencies over a window of `seconds`: percentiles in ms and frames per second per viewer. */
export function latency(vs: BenchViewer[], seconds: number) {
  const all = vs.flatMap((v) => v.latencies);
  return { p50: pct(all, 50), p95: pct(all, 95), p99: pct(all, 99), max: pct(all, 100), fps: r1(vs[0]!.frames / seconds) };
}
