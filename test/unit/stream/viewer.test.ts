/**
 * One WebSocket viewer over a real loopback socket: frames in flight bounded by acknowledgements,
 * messages dropped and the socket closed when it stops reading, only pongs to our own pings
 * count, strikes that decay instead of resetting, and one pick in flight.
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { CLOSE_CODES, pack, unpackServerMessage, type ClientMessage, type ServerMessage } from '../../../shared/protocol.js';
import { DEFAULT_SETTINGS } from '../../../shared/settings.js';
import type { Control } from '../../../server/control/control.js';
import type { PublishedFrame } from '../../../server/stream/hub.js';
import { VIEWER_LIMITS, WsViewer } from '../../../server/stream/viewer.js';
import { createLogger } from '../../../server/log.js';

const defaults = { ...VIEWER_LIMITS };
const closers: (() => void)[] = [];
afterEach(() => {
  Object.assign(VIEWER_LIMITS, defaults);
  while (closers.length) closers.pop()!();
});

/** the control stage as far as a viewer uses it; picks take `pickMs` */
function control(pickMs = 0): Control {
  return {
    settings: DEFAULT_SETTINGS,
    set: () => DEFAULT_SETTINGS,
    pick: async () => {
      await new Promise((r) => setTimeout(r, pickMs));
      return { type: 'picked', range: { lower: [0, 0, 0], upper: [1, 1, 1] }, space: 'hsv', samples: 49 };
    },
    listPresets: async () => ({ names: [] }),
  } as unknown as Control;
}

async function pair(o: { autoPong?: boolean; pickMs?: number } = {}): Promise<{ viewer: WsViewer; client: WebSocket; got: ServerMessage[]; send: (m: ClientMessage) => void }> {
  const http: Server = createServer();
  const wss = new WebSocketServer({ server: http });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const port = (http.address() as { port: number }).port;
  const made = new Promise<WsViewer>((resolve) =>
    wss.on('connection', (ws) =>
      resolve(
        new WsViewer(1, 'control', ws, {
          camera: 'main',
          cameras: () => ['main'],
          control: control(o.pickMs),
          log: createLogger(true),
          maxBufferedBytes: 512 * 1024,
          status: () => ({ state: 'live', reason: 'OK', source: 'demo', kind: 'demo', since: 0 }),
          outputs: () => ({ recording: null }),
          viewers: () => 1,
          revision: () => 1,
          onViewChange: () => undefined,
        }),
      ),
    ),
  );
  const client = new WebSocket(`ws://127.0.0.1:${port}/`, { autoPong: o.autoPong ?? true });
  const got: ServerMessage[] = [];
  client.on('message', (d: Buffer) => got.push(unpackServerMessage(d)));
  await new Promise((r) => client.once('open', r));
  const viewer = await made;
  closers.push(() => {
    client.terminate();
    wss.close();
    http.close();
  });
  return { viewer, client, got, send: (m) => client.send(pack(m)) };
}

const frame = (seq: number, bytes = 100): PublishedFrame => ({
  view: 'masked',
  seq,
  ts: Date.now(),
  rev: 1,
  placeholder: false,
  jpeg: new Uint8Array(bytes),
  packed: pack({ type: 'frame', seq, ts: Date.now(), rev: 1, width: 1, height: 1, view: 'masked', jpeg: new Uint8Array(bytes) }),
});
const settle = (ms = 100) => new Promise((r) => setTimeout(r, ms));

describe('WsViewer', () => {
  it('a viewer that acknowledges frames gets at most two ahead of what it has received', async () => {
    const { viewer, got, send } = await pair();
    send({ type: 'ack', seq: 0 });
    await settle();
    const results = [1, 2, 3, 4, 5].map((s) => viewer.deliver(frame(s)));
    expect(results).toEqual(['sent', 'sent', 'busy', 'busy', 'busy']);
    expect(viewer.dropped).toBe(3);
    send({ type: 'ack', seq: 1 });
    await settle();
    expect(viewer.deliver(frame(6))).toBe('sent');
    expect(viewer.deliver(frame(7))).toBe('busy');
    await settle();
    expect(got.filter((m) => m.type === 'frame').map((m) => (m as { seq: number }).seq)).toEqual([1, 2, 6]);
  });

  it('a viewer that does not acknowledge is bounded by bytes queued', async () => {
    const { viewer, client } = await pair();
    (client as unknown as { _socket: { pause(): void } })._socket.pause();
    let sent = 0;
    for (let s = 1; s <= 400 && viewer.deliver(frame(s, 64 * 1024)) === 'sent'; s++) sent++;
    expect(sent).toBeGreaterThan(2);
    expect(sent).toBeLessThan(400); // it skips once its socket holds --max-buffered
    expect(viewer.dropped).toBe(1);
  });

  it('a socket that stops reading: messages for it are dropped, then it is closed', async () => {
    VIEWER_LIMITS.controlBacklogBytes = 64 * 1024;
    VIEWER_LIMITS.backlogCloseMs = 300;
    const { viewer, client } = await pair();
    (client as unknown as { _socket: { pause(): void } })._socket.pause();
    const big = pack({ type: 'error', code: 'INVALID', message: 'x'.repeat(8000) });
    for (let i = 0; i < 2000; i++) viewer.sendPacked(big); // 16 MB asked for
    expect(viewer.droppedControl).toBeGreaterThan(1000);
    expect(viewer.socket.bufferedAmount).toBeLessThan(8 * 1024 * 1024); // bounded, whatever is asked
    await settle(400);
    viewer.sendPacked(big);
    await settle(100);
    expect(viewer.socket.readyState).toBe(WebSocket.CLOSED); // the client never reads: it cannot see the close, the server is done with it
  });

  it('only a pong to our own ping keeps a viewer alive; an unsolicited pong does not', async () => {
    const good = await pair();
    expect(good.viewer.heartbeat()).toBe(true);
    await settle();
    expect(good.viewer.heartbeat()).toBe(true); // it answered the ping (ws answers with its payload)
    const liar = await pair({ autoPong: false });
    expect(liar.viewer.heartbeat()).toBe(true);
    for (let i = 0; i < 5; i++) liar.client.pong(Buffer.from(`mine-${i}`));
    await settle();
    expect(liar.viewer.heartbeat()).toBe(false);
  });

  it('strikes decay with time instead of resetting on a good message', async () => {
    const { client, send } = await pair();
    const closed = new Promise<number>((r) => client.once('close', (code) => r(code)));
    for (let i = 0; i < 58; i++) client.send(new Uint8Array([0xc1]));
    send({ type: 'ping', id: 1, t: 1 }); // a good message does not wipe the slate
    await settle(300);
    for (let i = 0; i < 45; i++) client.send(new Uint8Array([0xc1]));
    expect(await Promise.race([closed, settle(2000).then(() => -1)])).toBe(CLOSE_CODES.ABUSE);
    // and with time they are forgiven
    const slow = await pair();
    const slowClosed = new Promise<number>((r) => slow.client.once('close', (code) => r(code)));
    for (let i = 0; i < 55; i++) slow.client.send(new Uint8Array([0xc1]));
    await settle(6000); // -12 strikes
    for (let i = 0; i < 50; i++) slow.client.send(new Uint8Array([0xc1]));
    expect(await Promise.race([slowClosed, settle(500).then(() => -1)])).toBe(-1);
  }, 15_000);

  it('one pick in flight per viewer: another meanwhile is answered BUSY', async () => {
    const { got, send } = await pair({ pickMs: 200 });
    send({ type: 'pick', x: 0, y: 0, w: 1, h: 1 });
    send({ type: 'pick', x: 0, y: 0, w: 1, h: 1 });
    await settle(400);
    expect(got.filter((m) => m.type === 'picked')).toHaveLength(1);
    expect(got.find((m) => m.type === 'error')).toMatchObject({ code: 'BUSY', ref: 'pick' });
    send({ type: 'pick', x: 0, y: 0, w: 0, h: 0 });
    await settle(400);
    expect(got.filter((m) => m.type === 'picked')).toHaveLength(2);
  });

  it('acknowledgements are not counted against the message rate', async () => {
    const { got, send } = await pair();
    for (let i = 0; i < 100; i++) send({ type: 'ack', seq: i });
    for (let i = 0; i < 30; i++) send({ type: 'ping', id: i, t: 1 });
    await settle(300);
    expect(got.filter((m) => m.type === 'error')).toHaveLength(0);
    expect(got.filter((m) => m.type === 'pong')).toHaveLength(30);
  });
});
