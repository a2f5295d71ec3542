/**
 * The MQTT output against a real mosquitto: availability and the last will (the process that
 * holds the client SIGKILLed), retained rule states, events and snapshots, Home Assistant
 * discovery configs (and their removal), coverage at a bounded rate, commands (and what is not
 * one), reconnection after the broker restarts with the retained state published again, drops
 * counted while it is down and nothing delivered late, credentials, and TLS.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TimedAnalysis } from '../../../shared/protocol.js';
import type { RuleChange, RuleState } from '../../../shared/rules.js';
import type { Logger } from '../../../server/log.js';
import { MqttOutput, type MqttCommand, type MqttOptions } from '../../../server/outputs/mqtt.js';
import { Listener, Mosquitto, topicIs } from '../../helpers/mosquitto.js';
import { waitFor } from '../../helpers/wait.js';

const CHILD = fileURLToPath(new URL('../../helpers/mqtt-child.mjs', import.meta.url));
const lines: string[] = [];
const log: Logger = { info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
  lines.length = 0;
});

let broker: Mosquitto;
beforeAll(async () => {
  broker = await new Mosquitto().start();
});
afterAll(async () => {
  await broker?.remove();
});

let nBase = 0;
/** every test has its own base topic, so that retained messages of one do not meet the next */
const freshBase = (): string => `t${process.pid}-${++nBase}`;

function output(o: Partial<MqttOptions> & { baseTopic: string }, commands: [string, MqttCommand][] = [], onCommand?: (c: string, m: MqttCommand) => Promise<unknown>): MqttOutput {
  const out = new MqttOutput(
    { url: broker.url, reconnect: { minMs: 100, maxMs: 400 }, discoveryPrefix: `${o.baseTopic}-ha`, ...o },
    {
      log,
      version: '0.1.0',
      onCommand:
        onCommand ??
        (async (camera, cmd) => {
          commands.push([camera, cmd]);
        }),
    },
  );
  cleanups.push(() => out.close());
  return out;
}

async function listen(topics: string[]): Promise<Listener> {
  const l = await Listener.listen(broker, topics);
  cleanups.push(() => l.close());
  return l;
}

const ruleState = (name: string, over: Partial<RuleState> = {}): RuleState => ({ name, state: 'off', since: null, enabled: true, value: null, pending: null, ...over });
const analysis = (ts: number, red: number): TimedAnalysis => ({
  ts,
  rev: 1,
  method: 'colour',
  coverage: red + 1,
  ranges: [
    { name: 'red', color: '#ff0000', coverage: red, blobs: 2 },
    { name: 'Blue sky', color: '#0000ff', coverage: 1 },
  ],
});
const change = (over: Partial<RuleChange> = {}): RuleChange => ({
  camera: 'door',
  rule: 'seen',
  state: 'on',
  previous: 'off',
  time: Date.now(),
  value: 3.5,
  reason: 'condition',
  analysis: analysis(Date.now(), 3.5),
  ...over,
});

describe('mqtt output', () => {
  it('availability, retained rule states, events and snapshots', async () => {
    const base = freshBase();
    const out = output({ baseTopic: base, snapshots: true });
    out.start();
    out.setCamera('door', { ranges: ['red'], rules: [ruleState('seen')] });
    await waitFor(() => out.stats().connected && out.stats().sent >= 4, 5000, 'connected');
    // a subscriber that comes later gets the retained state
    const late = await listen([`${base}/#`]);
    await late.next((m) => m.topic === `${base}/status` && m.retain && m.payload.toString() === 'online');
    await late.next((m) => m.topic === `${base}/door/rules/seen/state` && m.retain && m.payload.toString() === 'OFF');
    await late.next((m) => m.topic === `${base}/door/status` && m.payload.toString() === 'online');
    // a change: state, attributes, event and snapshot
    const mark = late.mark();
    const jpeg = new Uint8Array([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]);
    const t0 = performance.now();
    out.ruleChanged(change(), jpeg);
    const state = await late.next(topicIs(`${base}/door/rules/seen/state`, 'ON'), 5000, mark);
    const latency = performance.now() - t0;
    const event = await late.next(topicIs(`${base}/door/events`), 5000, mark);
    expect(event.retain).toBe(false);
    expect(JSON.parse(event.payload.toString())).toMatchObject({
      camera: 'door',
      rule: 'seen',
      state: 'on',
      previous: 'off',
      reason: 'condition',
      value: 3.5,
      analysis: { ranges: [{ name: 'red' }, { name: 'Blue sky' }] },
    });
    const attrs = await late.next(topicIs(`${base}/door/rules/seen/attributes`), 5000, mark);
    expect(JSON.parse(attrs.payload.toString())).toMatchObject({ state: 'on', value: 3.5, enabled: true, reason: 'condition' });
    const snap = await late.next(topicIs(`${base}/door/snapshot`), 5000, mark);
    expect([...snap.payload]).toEqual([...jpeg]);
    expect(state.retain).toBe(false); // live delivery; the broker keeps it retained for later subscribers:
    const later = await listen([`${base}/door/rules/seen/state`, `${base}/door/snapshot`]);
    const kept = await later.next(topicIs(`${base}/door/rules/seen/state`));
    expect([kept.payload.toString(), kept.retain]).toEqual(['ON', true]);
    expect((await later.next(topicIs(`${base}/door/snapshot`))).retain).toBe(true);
    // rule state latency, publish call to delivery, over a few more changes
    const lat: number[] = [latency];
    for (let i = 0; i < 20; i++) {
      const m = late.mark();
      const s = i % 2 ? 'on' : 'off';
      const t = performance.now();
      out.ruleChanged(change({ state: s, previous: s === 'on' ? 'off' : 'on' }));
      await late.next(topicIs(`${base}/door/rules/seen/state`, s.toUpperCase()), 5000, m);
      lat.push(performance.now() - t);
    }
    lat.sort((a, b) => a - b);
    console.log(`MQTT rule state, publish → delivery to a subscriber: median ${lat[lat.length >> 1]!.toFixed(2)} ms, max ${lat.at(-1)!.toFixed(2)} ms over ${lat.length}`);
    // the camera going offline, and a clean close saying so
    out.setCameraOnline('door', false);
    await late.next(topicIs(`${base}/door/status`, 'offline'));
    const m = late.mark();
    await out.close();
    await late.next(topicIs(`${base}/status`, 'offline'), 5000, m);
    expect(out.stats()).toMatchObject({ connected: false, dropped: expect.any(Number) });
  });

  it('the last will says offline when the process holding the client is killed', async () => {
    const base = freshBase();
    const l = await listen([`${base}/status`]);
    const child = spawn(process.execPath, [CHILD, broker.url, base], { stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(async () => child.kill('SIGKILL'));
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('connected\n'), 10_000, `the child to connect:\n${out}`);
    await l.next(topicIs(`${base}/status`, 'online'));
    const mark = l.mark();
    const t0 = Date.now();
    child.kill('SIGKILL');
    const will = await l.next(topicIs(`${base}/status`, 'offline'), 10_000, mark);
    console.log(`last will delivered ${will.at - t0} ms after SIGKILL`);
    // and it is retained: a newcomer sees the camera server offline
    const newcomer = await listen([`${base}/status`]);
    const kept = await newcomer.next(topicIs(`${base}/status`));
    expect([kept.payload.toString(), kept.retain]).toEqual(['offline', true]);
  });

  it('Home Assistant discovery: a device per camera, a binary_sensor and a switch per rule, sensors, a camera; removed when gone', async () => {
    const base = freshBase();
    const ha = `${base}-ha`;
    const l = await listen([`${ha}/#`]);
    const out = output({ baseTopic: base, snapshots: true });
    out.start();
    out.setCamera('door', { ranges: ['red', 'Blue sky'], rules: [ruleState('seen'), ruleState('gone')] });
    const configs = new Map<string, Record<string, unknown>>();
    const want = [
      `${ha}/binary_sensor/${base}_door/rule_seen/config`,
      `${ha}/switch/${base}_door/rule_seen_enabled/config`,
      `${ha}/binary_sensor/${base}_door/rule_gone/config`,
      `${ha}/sensor/${base}_door/coverage/config`,
      `${ha}/sensor/${base}_door/coverage_red/config`,
      `${ha}/sensor/${base}_door/coverage_blue_sky/config`,
      `${ha}/camera/${base}_door/snapshot/config`,
    ];
    for (const topic of want) {
      const m = await l.next(topicIs(topic));
      configs.set(topic, JSON.parse(m.payload.toString()) as Record<string, unknown>);
    }
    const device = { identifiers: [`${base}_door`], name: 'door', manufacturer: 'segcam', model: 'segcam camera', sw_version: '0.1.0' };
    const availability = [{ topic: `${base}/status` }, { topic: `${base}/door/status` }];
    expect(configs.get(want[0]!)).toMatchObject({
      name: 'seen',
      unique_id: `${base}_door_rule_seen`,
      default_entity_id: `binary_sensor.${base.replace(/-/g, '_')}_door_rule_seen`,
      state_topic: `${base}/door/rules/seen/state`,
      payload_on: 'ON',
      payload_off: 'OFF',
      device,
      availability,
      availability_mode: 'all',
    });
    expect(configs.get(want[1]!)).toMatchObject({ command_topic: `${base}/door/rules/seen/set`, state_topic: `${base}/door/rules/seen/enabled`, device });
    expect(configs.get(want[3]!)).toMatchObject({
      state_topic: `${base}/door/coverage`,
      value_template: '{{ value_json.coverage }}',
      unit_of_measurement: '%',
      state_class: 'measurement',
    });
    expect(configs.get(want[5]!)).toMatchObject({ name: 'Blue sky coverage', state_topic: `${base}/door/ranges/blue_sky/coverage`, unit_of_measurement: '%', device });
    expect(configs.get(want[6]!)).toMatchObject({ topic: `${base}/door/snapshot`, device });
    // every entity has a unique id
    expect(new Set([...configs.values()].map((c) => c.unique_id)).size).toBe(configs.size);
    // a rule removed: its entities are emptied (Home Assistant deletes them); the rest is not sent again
    const mark = l.mark();
    out.setCamera('door', { ranges: ['red', 'Blue sky'], rules: [ruleState('seen')] });
    await l.next((m) => m.topic === `${ha}/binary_sensor/${base}_door/rule_gone/config` && m.payload.length === 0, 5000, mark);
    await l.next((m) => m.topic === `${ha}/switch/${base}_door/rule_gone_enabled/config` && m.payload.length === 0, 5000, mark);
    await new Promise((r) => setTimeout(r, 200));
    expect(l.messages.slice(mark).filter((m) => m.payload.length > 0)).toEqual([]);
    // and its retained state is cleared: a subscriber that comes later finds nothing for it
    const late = await listen([`${base}/door/rules/#`]);
    await late.next(topicIs(`${base}/door/rules/seen/state`, 'OFF'));
    await new Promise((r) => setTimeout(r, 300));
    expect(late.messages.filter((m) => m.topic.includes('/rules/gone/')).map((m) => m.topic)).toEqual([]);
    // an entity id takes no '-': a rule named so gets '_' there (its topics keep the name)
    out.setCamera('door', { ranges: ['red', 'Blue sky'], rules: [ruleState('seen'), ruleState('red-seen')] });
    const dashed = JSON.parse((await l.next((m) => m.topic === `${ha}/binary_sensor/${base}_door/rule_red-seen/config` && m.payload.length > 0)).payload.toString()) as Record<
      string,
      string
    >;
    expect(dashed.default_entity_id).toBe(`binary_sensor.${base.replace(/-/g, '_')}_door_rule_red_seen`);
    expect(dashed.state_topic).toBe(`${base}/door/rules/red-seen/state`);
    // Home Assistant restarting asks for everything again
    const before = l.mark();
    const ha2 = await broker.client();
    cleanups.push(() => ha2.endAsync(true));
    await ha2.publishAsync(`${ha}/status`, 'online');
    await l.next(topicIs(`${ha}/binary_sensor/${base}_door/rule_seen/config`), 5000, before);
  });

  it('coverage goes out at most every stateIntervalMs, the newest value last', async () => {
    const base = freshBase();
    const l = await listen([`${base}/door/coverage`, `${base}/door/ranges/#`]);
    const out = output({ baseTopic: base, stateIntervalMs: 250 });
    out.start();
    out.setCamera('door', { ranges: ['red', 'Blue sky'], rules: [] });
    await waitFor(() => out.stats().connected, 5000, 'connected');
    const t0 = Date.now();
    let last = 0;
    while (Date.now() - t0 < 1500) {
      last = Math.round(Math.random() * 1000) / 100;
      out.analysis('door', analysis(Date.now(), last));
      await new Promise((r) => setTimeout(r, 10));
    }
    const trailing = (): boolean => {
      const m = l.on(`${base}/door/coverage`).at(-1);
      return m !== undefined && JSON.parse(m.payload.toString()).ranges?.red === last;
    };
    await waitFor(trailing, 3000, 'the trailing message with the newest value');
    const msgs = l.on(`${base}/door/coverage`);
    expect(msgs.length).toBeGreaterThanOrEqual(5);
    expect(msgs.length).toBeLessThanOrEqual(8); // 1.5 s / 250 ms + the first and the trailing one
    // timed where they are received: a late delivery shortens the gap after it, never to the 10 ms of the input
    for (let i = 1; i < msgs.length; i++) expect(msgs[i]!.at - msgs[i - 1]!.at).toBeGreaterThanOrEqual(150);
    const newest = JSON.parse(msgs.at(-1)!.payload.toString());
    expect(newest).toMatchObject({ method: 'colour', ranges: { red: last, 'Blue sky': 1 }, counts: { red: 2 } });
    expect(l.on(`${base}/door/ranges/red/coverage`).at(-1)!.payload.toString()).toBe(String(last));
    expect(l.on(`${base}/door/ranges/red/count`).at(-1)!.payload.toString()).toBe('2');
    expect(l.on(`${base}/door/ranges/blue_sky/count`)).toEqual([]); // no blobs measured for it
    expect(msgs.every((m) => !m.retain)).toBe(true);
  });

  it('commands reach the callback; bad, retained and unknown-camera ones do not; a failing callback is logged', async () => {
    const base = freshBase();
    const c = await broker.client();
    cleanups.push(() => c.endAsync(true));
    // a command left retained on the broker: delivered at subscription with the retain flag, it must not be applied
    await c.publishAsync(`${base}/door/set/preset`, 'night', { retain: true, qos: 1 });
    cleanups.push(() => c.publishAsync(`${base}/door/set/preset`, '', { retain: true }));
    const commands: [string, MqttCommand][] = [];
    let fail = false;
    const out = output({ baseTopic: base }, commands, async (camera, cmd) => {
      if (fail) throw new Error('no such preset: nope');
      commands.push([camera, cmd]);
    });
    out.start();
    out.setCamera('door', { ranges: [], rules: [ruleState('seen')] });
    await waitFor(() => lines.some((l) => /ignoring a retained command/.test(l)), 5000, 'the retained command to be seen and ignored');
    await c.publishAsync(`${base}/door/set/preset`, 'day light');
    await c.publishAsync(`${base}/door/set/settings`, JSON.stringify({ quality: 55, blobs: true }));
    await c.publishAsync(`${base}/door/rules/seen/set`, 'OFF');
    await c.publishAsync(`${base}/door/set/method`, 'motion');
    await waitFor(() => commands.length === 4, 5000, 'four commands');
    expect(commands).toEqual([
      ['door', { type: 'preset', name: 'day light' }],
      ['door', { type: 'settings', patch: { quality: 55, blobs: true } }],
      ['door', { type: 'rule', rule: 'seen', enabled: false }],
      ['door', { type: 'method', method: 'motion' }],
    ]);
    await c.publishAsync(`${base}/door/set/settings`, '{"quality": 500}');
    await c.publishAsync(`${base}/door/set/settings`, 'not json');
    await c.publishAsync(`${base}/door/rules/seen/set`, 'maybe');
    await c.publishAsync(`${base}/yard/set/preset`, 'day');
    await waitFor(() => out.stats().commandErrors === 3, 5000, 'three bad commands');
    fail = true;
    await c.publishAsync(`${base}/door/set/preset`, 'nope');
    await waitFor(() => out.stats().commandErrors === 4, 5000, 'the failing callback');
    expect(commands).toHaveLength(4);
    expect(out.stats().commands).toBe(5);
    const logged = lines.join('\n');
    expect(logged).toMatch(/settings: quality must be at most 100/);
    expect(logged).toMatch(/not JSON/);
    expect(logged).toMatch(/ON or OFF/);
    expect(logged).toMatch(/camera "yard", which does not exist/);
    expect(logged).toMatch(/no such preset: nope/);
  });
});

describe('mqtt output and a broker that restarts', () => {
  it('reconnects with backoff, publishes its retained state again, and drops (counts) what comes while the broker is down', async () => {
    const b = await new Mosquitto().start();
    cleanups.push(() => b.remove());
    const base = freshBase();
    const out = new MqttOutput({ url: b.url, baseTopic: base, discoveryPrefix: `${base}-ha`, reconnect: { minMs: 100, maxMs: 400 } }, { log, onCommand: async () => undefined });
    cleanups.push(() => out.close());
    out.start();
    out.setCamera('door', { ranges: ['red'], rules: [ruleState('seen')] });
    await waitFor(() => out.stats().connected, 5000, 'connected');
    out.ruleChanged(change());
    await waitFor(() => out.stats().inFlight === 0, 2000, 'acknowledged');
    await b.kill();
    await waitFor(() => !out.stats().connected, 5000, 'the output to see the broker gone');
    const dropped = out.stats().dropped;
    for (let i = 0; i < 25; i++) out.ruleChanged(change({ state: i % 2 ? 'on' : 'off', time: Date.now() + i }));
    // each change is state + attributes + enabled + event: 4 publications, none queued
    expect(out.stats().dropped - dropped).toBe(100);
    await new Promise((r) => setTimeout(r, 1200)); // a few attempts against a closed port
    expect(lines.some((l) => /ECONNREFUSED/.test(l))).toBe(true);
    await b.start(); // same port, nothing retained any more
    await waitFor(() => out.stats().connected, 5000, 'reconnected');
    expect(out.stats()).toMatchObject({ connected: true, reconnects: 1 });
    // the retained state is there again for a newcomer: the current one (the last of the changes
    // made while the broker was down is off), though none of those changes' events was sent
    const l = await Listener.listen(b, [`${base}/#`, `${base}-ha/#`]);
    cleanups.push(() => l.close());
    await l.next(topicIs(`${base}/status`, 'online'));
    const state = await l.next(topicIs(`${base}/door/rules/seen/state`));
    expect([state.payload.toString(), state.retain]).toEqual(['OFF', true]);
    await l.next((m) => m.topic.startsWith(`${base}-ha/`) && m.retain); // discovery too
    await new Promise((r) => setTimeout(r, 300));
    expect(l.on(`${base}/door/events`)).toEqual([]); // nothing sent late
    expect(lines.some((x) => /connected again after \d+ attempt/.test(x))).toBe(true);
  });
});

describe('mqtt output: credentials and TLS', () => {
  it('refuses the wrong password, connects with the right one', async () => {
    const b = await new Mosquitto({ users: { cam: 'right-pass' } }).start();
    cleanups.push(() => b.remove());
    const wrong = new MqttOutput(
      { url: b.url, username: 'cam', password: 'wrong', baseTopic: freshBase(), reconnect: { minMs: 100, maxMs: 200 } },
      { log, onCommand: async () => undefined },
    );
    cleanups.push(() => wrong.close());
    wrong.start();
    await waitFor(() => wrong.stats().lastError !== null, 5000, 'the refusal');
    expect(wrong.stats().connected).toBe(false);
    expect(wrong.stats().lastError).toMatch(/Not authorized|Bad username or password/i);
    const base = freshBase();
    const right = new MqttOutput({ url: b.url, username: 'cam', password: 'right-pass', baseTopic: base }, { log, onCommand: async () => undefined });
    cleanups.push(() => right.close());
    right.start();
    await waitFor(() => right.stats().connected, 5000, 'connected');
    const l = await Listener.listen(b, [`${base}/status`], { username: 'cam', password: 'right-pass' });
    cleanups.push(() => l.close());
    await l.next(topicIs(`${base}/status`, 'online'));
    expect(lines.join('\n')).not.toMatch(/right-pass|wrong\b/); // passwords never logged
  });

  it('mqtts with the broker CA connects; without it the certificate is refused', async () => {
    const b = await new Mosquitto({ tls: true }).start();
    cleanups.push(() => b.remove());
    const trusted = new MqttOutput({ url: b.url, caFile: b.caFile, baseTopic: freshBase() }, { log, onCommand: async () => undefined });
    cleanups.push(() => trusted.close());
    trusted.start();
    await waitFor(() => trusted.stats().connected, 5000, 'connected over TLS');
    const untrusted = new MqttOutput({ url: b.url, baseTopic: freshBase(), reconnect: { minMs: 100, maxMs: 200 } }, { log, onCommand: async () => undefined });
    cleanups.push(() => untrusted.close());
    untrusted.start();
    await waitFor(() => untrusted.stats().lastError !== null, 5000, 'the refusal');
    expect(untrusted.stats().lastError).toMatch(/self[- ]signed|unable to verify|certificate/i);
    expect(untrusted.stats().connected).toBe(false);
  });

  it('refuses URLs and topics it cannot use', () => {
    const deps = { log, onCommand: async () => undefined };
    expect(() => new MqttOutput({ url: 'http://x' }, deps)).toThrow(/mqtt:\/\/ or mqtts:\/\//);
    expect(() => new MqttOutput({ url: 'mqtt://x', baseTopic: 'a/#' }, deps)).toThrow(/base topic/);
    expect(() => new MqttOutput({ url: 'mqtt://x', baseTopic: '/a' }, deps)).toThrow(/start or end/);
  });
});
