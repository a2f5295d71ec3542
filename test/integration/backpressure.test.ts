/**
 * Backpressure in frames, not bytes: a viewer behind a link slower than the stream sees the
 * present when it acknowledges frames (at most two in flight), where byte counting let
 * seconds of frames pile up in the kernel's buffers between server and viewer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { pack, unpackServerMessage } from '../../shared/protocol.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { slowLink, type SlowLink } from '../helpers/throttle.js';

let s: ServerHandle;
let link: SlowLink;
let bytesPerSecond = 0;

/** watch connects through the slow link and returns the age (ms) of each frame as it arrives. */
async function watch(acks: boolean, seconds: number): Promise<{ ages: number[]; frames: number }> {
  const ws = new WebSocket(`ws://127.0.0.1:${link.port}/ws?token=${s.token}`);
  const ages: number[] = [];
  await new Promise((r) => ws.once('open', r));
  if (acks) ws.send(pack({ type: 'ack', seq: 0 }));
  ws.send(pack({ type: 'view', view: 'original' }));
  ws.on('message', (d: Buffer) => {
    const m = unpackServerMessage(d);
    if (m.type !== 'frame' || m.placeholder) return;
    ages.push(Date.now() - m.ts);
    if (acks) ws.send(pack({ type: 'ack', seq: m.seq }));
  });
  await new Promise((r) => setTimeout(r, seconds * 1000));
  ws.terminate();
  return { ages, frames: ages.length };
}

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN;

beforeAll(async () => {
  s = await startServer({ args: ['--source', 'demo', '--width', '640', '--height', '480', '--fps', '30', '--quality', '95'] });
  // the stream's byte rate, measured at a fast viewer, sets the slow link to a quarter of it
  const fast = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/ws?token=${s.token}`);
    let bytes = 0;
    ws.on('message', (d: Buffer) => (bytes += d.length));
    ws.once('open', () => {
      ws.send(pack({ type: 'view', view: 'original' }));
      setTimeout(() => {
        ws.terminate();
        resolve(bytes / 2);
      }, 2000);
    });
  });
  bytesPerSecond = Math.round(fast / 4);
  link = await slowLink(s.port, bytesPerSecond);
});
afterAll(async () => {
  await link?.close();
  await s?.stop();
});

describe('a viewer behind a slow link', () => {
  it('acknowledging frames, it sees frames a fraction of a second old; counting bytes alone, seconds old', async () => {
    const withAcks = await watch(true, 8);
    const without = await watch(false, 8);
    const lastAcked = median(withAcks.ages.slice(-10));
    const lastUnacked = median(without.ages.slice(-10));
    console.log(
      `link at ${(bytesPerSecond / 1024).toFixed(0)} KiB/s (a quarter of the stream): with acks ${withAcks.frames} frames, age now ${lastAcked} ms; by bytes only ${without.frames} frames, age now ${lastUnacked} ms`,
    );
    expect(withAcks.frames).toBeGreaterThan(8 * 3); // about a quarter of 30 fps gets through
    // two frames in flight over a quarter-rate link: a few frame times (~33 ms each, ×4), far below a second
    expect(lastAcked).toBeLessThan(800);
    expect(lastUnacked).toBeGreaterThan(lastAcked * 2);
  }, 60_000);
});
