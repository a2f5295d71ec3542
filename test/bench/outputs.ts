/**
 * The outputs' delay: from the capture of the frame that crossed a rule's threshold to the
 * moment a subscriber of a real mosquitto receives the rule's new state, and a loopback
 * receiver the webhook. The source is a generated clip in which a red box shows for one second
 * and hides for one, looped, under a rule `red above 2 %` with no hold: every second a change.
 * The capture time is the event's own `time` (the crossing frame's capture time, on the
 * server's clock, which is this machine's).
 */
import { makeClip } from '../helpers/fixtures.js';
import { Listener, Mosquitto } from '../helpers/mosquitto.js';
import { startServer } from '../helpers/server.js';
import { startReceiver } from '../helpers/webhook-receiver.js';
import { pct, r1 } from './figures.js';

const LAVFI = "color=c=0x808080:size=640x480:rate=30[bg];color=c=red:size=120x120:rate=30[box];[bg][box]overlay=x=260:y=180:enable='lt(mod(t,2),1)'[out0]";

/** OutputsResult: delays in ms (p50, p95, max) over `changes` rule changes. */
export interface OutputsResult {
  changes: number;
  mqttStateMs: { p50: number; p95: number; max: number };
  webhookMs: { p50: number; p95: number; max: number };
}

const summary = (xs: number[]) => ({ p50: r1(pct(xs, 50)), p95: r1(pct(xs, 95)), max: r1(Math.max(...xs)) });

/** outputsBench runs the clip for `seconds` and measures each change's delay to MQTT and to the webhook. */
export async function outputsBench(seconds: number): Promise<OutputsResult> {
  const clip = await makeClip('blink-640x480.mp4', LAVFI, 2);
  const broker = await new Mosquitto().start();
  const receiver = await startReceiver();
  const listener = await Listener.listen(broker, ['bench/main/rules/red/state', 'bench/main/events']);
  const s = await startServer({
    args: ['--source', clip, '--quiet', '--mqtt', broker.url, '--mqtt-base-topic', 'bench', '--no-mqtt-discovery', '--webhook', receiver.url('/bench')],
  });
  const headers = { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' };
  try {
    await fetch(`${s.base}/api/settings`, {
      method: 'PATCH',
      headers,
      body: JSON.stringify({ method: { kind: 'colour', space: 'hsv', ranges: [{ name: 'red', lower: [170, 120, 80], upper: [10, 255, 255] }] } }),
    });
    await fetch(`${s.base}/api/rules`, { method: 'PUT', headers, body: JSON.stringify({ rules: [{ name: 'red', subject: { range: 'red' }, op: 'above', value: 2 }] }) });
    await new Promise((r) => setTimeout(r, 2500)); // settle: the first changes may predate the subscriptions
    const from = listener.mark();
    const hooksFrom = receiver.received.length;
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const events = listener.messages.slice(from).filter((m) => m.topic === 'bench/main/events');
    const states = listener.messages.slice(from).filter((m) => m.topic === 'bench/main/rules/red/state');
    const mqtt: number[] = [];
    const hooks: number[] = [];
    for (const e of events) {
      const ev = JSON.parse(e.payload.toString()) as { time: number; state: string };
      // the state message of this change: the first one after the event's capture time saying its state
      const st = states.find((m) => m.at >= ev.time && m.payload.toString() === ev.state.toUpperCase());
      if (st) mqtt.push(st.at - ev.time);
      const hook = receiver.received.slice(hooksFrom).find((r) => (JSON.parse(r.body.toString()) as { time: number }).time === ev.time);
      if (hook) hooks.push(hook.at - ev.time);
    }
    return { changes: events.length, mqttStateMs: summary(mqtt), webhookMs: summary(hooks) };
  } finally {
    await s.stop();
    await listener.close();
    await receiver.stop();
    await broker.remove();
  }
}

/** outputsFigures formats the result for the bench's table. */
export function outputsFigures(o: OutputsResult): string[] {
  return [
    `rule change → MQTT state at a subscriber (mosquitto, loopback), ${o.changes} changes: p50 ${o.mqttStateMs.p50} ms, p95 ${o.mqttStateMs.p95} ms, max ${o.mqttStateMs.max} ms`,
    `rule change → webhook at a loopback receiver: p50 ${o.webhookMs.p50} ms, p95 ${o.webhookMs.p95} ms, max ${o.webhookMs.max} ms`,
  ];
}

// run alone: node .bench/build/test/bench/outputs.js [SECONDS]
if (process.argv[1]?.endsWith('outputs.js')) {
  const o = await outputsBench(Number(process.argv[2] ?? 20));
  for (const line of outputsFigures(o)) console.log(line);
}
