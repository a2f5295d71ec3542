/**
 * Rules and their outputs through the whole server, with real parts: a generated clip in which
 * a red box enters a zone briefly (shorter than the hold time), then for two seconds, wobbles
 * across the zone's edge round the threshold, and leaves. The rule with a hold time and
 * hysteresis turns on once and off once, at the right moments; the same rule without them
 * flaps. The changes reach a real mosquitto (retained state, events, availability, discovery,
 * the last will when the server is killed) and a loopback webhook receiver (signed, retried
 * after a failure, dropped and counted when a hook stays down), and show in /api/status,
 * /metrics, /api/events and the viewers' status messages; a recording started by the rule
 * holds the frames of the moment.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RuleChange, RuleState } from '../../../shared/rules.js';
import { verifySignature } from '../../../server/outputs/webhooks.js';
import { makeClip } from '../../helpers/fixtures.js';
import { Listener, Mosquitto, topicIs } from '../../helpers/mosquitto.js';
import { authHeaders, jsonHeaders, removeTempDirs, startServer, tempDir, type ServerHandle } from '../../helpers/server.js';
import { waitFor } from '../../helpers/wait.js';
import { connectViewer } from '../../helpers/viewer.js';
import { startReceiver } from '../../helpers/webhook-receiver.js';

// 320x240 at 30 fps: the box is 80x80; the zone `door` is the right half (160x240 px), so the
// box wholly inside covers 16.7 % of it, and at x = 118 / 138 it covers 8.75 % / 12.9 %.
const X = 'if(between(t,1,1.2)+between(t,2.5,3.5),220,if(between(t,3.5,4.5),118+20*mod(floor(t*10),2),20))';
const LAVFI = `color=c=0x808080:size=320x240:rate=30[bg];color=c=red:size=80x80:rate=30[box];[bg][box]overlay=x='${X}':y=80[out0]`;
const ZONE = {
  name: 'door',
  kind: 'include',
  points: [
    [0.5, 0],
    [1, 0],
    [1, 1],
    [0.5, 1],
  ],
};
const RED = { name: 'red', color: '#ff0000', lower: [170, 120, 80], upper: [10, 255, 255] };
const RULES = {
  rules: [
    { name: 'door', subject: { zone: 'door', range: 'red' }, op: 'above', value: 10, hysteresis: 4, hold: 0.5, release: 0.5 },
    { name: 'jumpy', subject: { zone: 'door', range: 'red' }, op: 'above', value: 10 },
  ],
};

let clip: string;
let broker: Mosquitto;
const cleanups: (() => Promise<unknown>)[] = [];
beforeAll(async () => {
  clip = await makeClip('zone-entry-320x240.mp4', LAVFI, 6.5);
  broker = await new Mosquitto().start();
}, 60_000);
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
  removeTempDirs();
});
afterAll(async () => {
  await broker?.remove();
});

async function api<T>(s: ServerHandle, path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`${s.base}${path}`, { ...init, headers: { ...(init.body ? jsonHeaders(s) : authHeaders(s)), ...(init.headers as Record<string, string>) } });
  const text = await res.text();
  return { status: res.status, body: (text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T };
}

/** prepare sets the range and the zone on the demo source, puts the rules, then switches to the clip: its timeline starts there. */
async function prepare(s: ServerHandle, rules: unknown = RULES): Promise<number> {
  expect(
    (
      await api(s, '/api/settings', {
        method: 'PATCH',
        body: JSON.stringify({ method: { kind: 'colour', space: 'hsv', ranges: [RED] }, zones: [ZONE], blur: 0, open: 0, close: 0 }),
      })
    ).status,
  ).toBe(200);
  if (rules !== null) expect((await api(s, '/api/rules', { method: 'PUT', body: JSON.stringify(rules) })).status).toBe(200);
  const t0 = Date.now();
  expect((await api(s, '/api/source', { method: 'POST', body: JSON.stringify({ source: clip }) })).status).toBe(200);
  return t0;
}

const eventsOf = async (s: ServerHandle, rule: string): Promise<(RuleChange & { picture?: string })[]> =>
  (await api<{ events: (RuleChange & { picture?: string })[] }>(s, '/api/events?limit=200')).body.events.filter((e) => e.rule === rule).reverse();

describe('a rule over a clip, through the server', () => {
  it('turns on once after its hold time and off once after its release, where the rule without them flaps; MQTT, webhooks, status, metrics and viewers all see it', async () => {
    const receiver = await startReceiver();
    cleanups.push(() => receiver.stop());
    receiver.script = [500]; // the first delivery fails once and is retried
    const dir = tempDir();
    const secret = join(dir, 'hook-secret');
    writeFileSync(secret, 'hook-secret-0123\n');
    const base = `e2e${process.pid}`;
    const listener = await Listener.listen(broker, [`${base}/#`, `${base}-ha/#`]);
    cleanups.push(() => listener.close());
    const s = await startServer({
      args: [
        '--source',
        'demo',
        '--no-loop',
        '--mqtt',
        broker.url,
        '--mqtt-base-topic',
        base,
        '--mqtt-discovery-prefix',
        `${base}-ha`,
        '--webhook',
        receiver.url('/hook'),
        '--webhook-secret-file',
        secret,
      ],
    });
    cleanups.push(() => s.stop());
    const viewer = await connectViewer(s);
    cleanups.push(async () => viewer.close());

    // availability and discovery, before any change
    await listener.next(topicIs(`${base}/status`, 'online'), 10_000);
    await listener.next(topicIs(`${base}/main/status`, 'online'), 10_000);
    await prepare(s);
    const disc = await listener.next((m) => m.topic.startsWith(`${base}-ha/binary_sensor/`) && m.topic.endsWith('/config') && m.payload.toString().includes('door'), 10_000);
    const retained = await Listener.listen(broker, [disc.topic]); // retained: a Home Assistant that starts later gets it
    cleanups.push(() => retained.close());
    expect((await retained.next(() => true, 5000)).retain).toBe(true);
    expect(JSON.parse(disc.payload.toString())).toMatchObject({ state_topic: `${base}/main/rules/door/state`, availability: expect.anything() });

    // the clip plays 6.5 s once; wait for the door rule to have turned on and off again
    await waitFor(async () => (await eventsOf(s, 'door')).length >= 2, 15_000, 'the door rule to turn on and off');
    await new Promise((r) => setTimeout(r, 1500)); // the clip ends; nothing more may change
    const door = await eventsOf(s, 'door');
    const jumpy = await eventsOf(s, 'jumpy');
    expect(door.map((e) => [e.state, e.reason])).toEqual([
      ['on', 'condition'],
      ['off', 'condition'],
    ]);
    // in the zone from 2.5 s to 4.5 s of the clip (the wobble stays inside the band): on at 3.0, off at 5.0
    expect(door[1]!.time - door[0]!.time).toBeGreaterThan(1700);
    expect(door[1]!.time - door[0]!.time).toBeLessThan(2300);
    // without hold and hysteresis: the 0.2 s blip, the entry, and every wobble
    expect(jumpy.filter((e) => e.state === 'on').length).toBeGreaterThanOrEqual(5);
    expect(jumpy[0]!.time).toBeLessThan(door[0]!.time - 1500); // the blip, 1.3 s before the door rule's hold ran out
    expect(door[0]!.value).toBeGreaterThan(10);
    expect(door[0]!.picture).toMatch(/^\/cam\/main\/api\/events\/door\/\d+\.jpg$/);
    const pic = await fetch(`${s.base}${door[0]!.picture}`, { headers: authHeaders(s) });
    expect(pic.status).toBe(200);
    expect(pic.headers.get('content-type')).toBe('image/jpeg');
    expect((await pic.arrayBuffer()).byteLength).toBeGreaterThan(1000);

    // MQTT: the retained state went ON then OFF, an event per change
    const states = listener.on(`${base}/main/rules/door/state`).map((m) => m.payload.toString());
    expect(states.slice(-2)).toEqual(['ON', 'OFF']);
    const events = listener.on(`${base}/main/events`).map((m) => JSON.parse(m.payload.toString()) as RuleChange);
    expect(events.filter((e) => e.rule === 'door').map((e) => e.state)).toEqual(['on', 'off']);
    expect(listener.on(`${base}/main/coverage`).length).toBeGreaterThan(0);
    const late = await Listener.listen(broker, [`${base}/main/rules/door/state`]); // a newcomer gets the retained state
    cleanups.push(() => late.close());
    expect((await late.next(() => true, 5000)).payload.toString()).toBe('OFF');

    // webhooks: every change, signed; the first failed once and was retried with the same delivery id
    const changes = door.length + jumpy.length;
    await receiver.waitFor(changes + 1, 10_000);
    for (const r of receiver.received) expect(verifySignature('hook-secret-0123', r.body, r.headers['x-segcam-signature'] as string)).toBe(true);
    const bodies = receiver.received.map((r) => JSON.parse(r.body.toString()) as { id: string; rule: string; state: string });
    expect(bodies[0]!.id).toBe(bodies[1]!.id);
    expect(new Set(bodies.map((b) => b.id)).size).toBe(changes);

    // the API and metrics say the same (once the sender has heard the receiver's last answer)
    type Outputs = { outputs: { webhooks: { sent: number }[] } };
    await waitFor(async () => (await api<Outputs>(s, '/api/status')).body.outputs.webhooks[0]?.sent === changes, 5000, 'the webhook to count its deliveries');
    const status = (
      await api<{ rules: RuleState[]; outputs: { mqtt: { connected: boolean; sent: number }; webhooks: { name: string; sent: number; retried: number }[] } }>(s, '/api/status')
    ).body;
    expect(status.rules.find((r) => r.name === 'door')).toMatchObject({ state: 'off', enabled: true });
    expect(status.outputs.mqtt.connected).toBe(true);
    expect(status.outputs.webhooks[0]).toMatchObject({ name: 'webhook-1', sent: changes, retried: 1 });
    const metrics = (await api<string>(s, '/metrics')).body;
    expect(metrics).toMatch(/segcam_rule_changes_total\{camera="main",rule="door"\} 2/);
    expect(metrics).toMatch(/segcam_rule_on\{camera="main",rule="door"\} 0/);
    expect(metrics).toMatch(/segcam_mqtt_connected 1/);
    expect(metrics).toMatch(new RegExp(`segcam_webhook_events_total\\{hook="webhook-1",result="sent"\\} ${changes}`));
    // the viewer's status messages carried the rules
    expect(viewer.messages.some((m) => m.type === 'status' && (m as { rules?: RuleState[] }).rules?.some((r) => r.name === 'door' && r.state === 'on'))).toBe(true);

    // the last will: the server dies without a word, the broker says offline
    const mark = listener.mark();
    await s.stop('SIGKILL');
    await listener.next(topicIs(`${base}/status`, 'offline'), 60_000, mark);
  }, 90_000);

  it('switches a rule over MQTT and over the API, refuses bad rules with one sentence, and a view-only token may read but not change them', async () => {
    const base = `sw${process.pid}`;
    const listener = await Listener.listen(broker, [`${base}/#`]);
    cleanups.push(() => listener.close());
    const dataDir = tempDir();
    const args = ['--source', 'demo', '--view-token', 'view-token-0123', '--mqtt', broker.url, '--mqtt-base-topic', base, '--no-mqtt-discovery'];
    const s = await startServer({ dataDir, args });
    cleanups.push(() => s.stop());
    await prepare(s);
    await listener.next(topicIs(`${base}/main/rules/door/enabled`, 'ON'), 10_000);
    const commander = await broker.client();
    cleanups.push(() => commander.endAsync(true));
    await commander.publishAsync(`${base}/main/rules/door/set`, 'OFF');
    await waitFor(async () => (await api<{ states: RuleState[] }>(s, '/api/rules')).body.states.find((r) => r.name === 'door')?.enabled === false, 5000, 'the switch over MQTT');
    await listener.next(topicIs(`${base}/main/rules/door/enabled`, 'OFF'), 5000);
    // saved: a restart keeps the switch (the rules file is the one owner)
    const patched = await api<{ states: RuleState[] }>(s, '/api/rules/jumpy', { method: 'PATCH', body: JSON.stringify({ enabled: false }) });
    expect(patched.status).toBe(200);
    expect(patched.body.states.map((r) => r.enabled)).toEqual([false, false]);
    // with every rule off, the camera goes back to analysing only while watched
    expect((await api<{ analysing: boolean }>(s, '/api/rules')).body.analysing).toBe(false);

    const bad = await api<{ code: string; message: string }>(s, '/api/rules', { method: 'PUT', body: JSON.stringify({ rules: [{ name: 'x', op: 'above', value: 150 }] }) });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/percentage of the frame and must be at most 100/);
    const dup = await api<{ message: string }>(s, '/api/rules', {
      method: 'PUT',
      body: JSON.stringify({
        rules: [
          { name: 'a', op: 'present' },
          { name: 'a', op: 'absent' },
        ],
      }),
    });
    expect(dup.body.message).toMatch(/unique/);
    const noSuch = await api<{ code: string }>(s, '/api/rules/ghost', { method: 'PATCH', body: JSON.stringify({ enabled: true }) });
    expect(noSuch.status).toBe(404);
    expect((await api<{ rules: unknown[] }>(s, '/api/rules')).body.rules).toHaveLength(2); // nothing lost

    const view = { authorization: 'Bearer view-token-0123' };
    expect((await fetch(`${s.base}/api/rules`, { headers: view })).status).toBe(200);
    const refused = await fetch(`${s.base}/api/rules`, { method: 'PUT', headers: { ...view, 'content-type': 'application/json' }, body: JSON.stringify({ rules: [] }) });
    expect(refused.status).toBe(403);
    const rec = await fetch(`${s.base}/api/recordings/start`, { method: 'POST', headers: { ...view, 'content-type': 'application/json' }, body: '{}' });
    expect(rec.status).toBe(403);

    // a restart keeps the rules and their switches
    await s.stop();
    const again = await startServer({ dataDir, args });
    cleanups.push(() => again.stop());
    const kept = (await api<{ rules: { name: string; enabled: boolean }[] }>(again, '/api/rules')).body.rules;
    expect(kept.map((r) => [r.name, r.enabled])).toEqual([
      ['door', false],
      ['jumpy', false],
    ]);
  }, 60_000);

  it('records while its rule is on, with pre- and post-roll, from the config file; a hook that stays down drops its oldest events and counts them', async () => {
    const receiver = await startReceiver();
    cleanups.push(() => receiver.stop());
    receiver.otherwise = 'hang';
    const dir = tempDir();
    const config = join(dir, 'segcam.yaml');
    writeFileSync(
      config,
      [
        'cameras:',
        '  main:',
        '    source: demo',
        '    loop: false',
        '    rules:',
        '      door: { subject: { zone: door, range: red }, op: above, value: 10, hysteresis: 4, hold: 0.5, release: 0.5 }',
        '      jumpy: { subject: { zone: door, range: red }, op: above, value: 10 }',
        '    record: { rules: [door], pre_roll: 1, post_roll: 0.5, view: masked }',
        'outputs:',
        `  webhooks: [{ url: "${receiver.url('/down')}", name: down, queue: 2, retries: 0, timeout: 60 }]`,
        '',
      ].join('\n'),
    );
    const s = await startServer({ args: ['--config', config] });
    cleanups.push(() => s.stop());
    expect((await api<{ rules: unknown[]; analysing: boolean }>(s, '/api/rules')).body).toMatchObject({ rules: [{ name: 'door' }, { name: 'jumpy' }], analysing: true });
    await prepare(s, null);
    type Listing = { recorder: { recording: unknown }; recordings: { id: string; reason: string; frames: number; stopped: number | null; active: boolean; started: number }[] };
    const done = await waitFor(
      async () => {
        const l = (await api<Listing>(s, '/api/recordings')).body;
        return l.recordings.length && l.recordings.every((r) => r.stopped !== null) ? l : null;
      },
      20_000,
      'the rule-started recording to finish',
    );
    expect(done.recordings).toHaveLength(1);
    const rec = done.recordings[0]!;
    expect(rec.reason).toBe('rule:door');
    // on for 2 s (3.0 to 5.0 s of the clip), plus 1 s before and 0.5 s after, at 30 fps
    expect(rec.frames).toBeGreaterThan(80);
    expect(rec.frames).toBeLessThan(125);
    const tar = await fetch(`${s.base}/api/recordings/${rec.id}/download`, { headers: authHeaders(s) });
    expect(tar.status).toBe(200);
    expect(tar.headers.get('content-disposition')).toContain(`main-${rec.id}.tar`);
    const tarFile = join(dir, 'rec.tar');
    writeFileSync(tarFile, Buffer.from(await tar.arrayBuffer()));
    const { execFileSync } = await import('node:child_process');
    const names = execFileSync('tar', ['-tf', tarFile], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(names).toContain('./metadata.jsonl');
    expect(names).toContain('./recording.json');
    expect(names.filter((n) => n.endsWith('.jpg'))).toHaveLength(rec.frames);

    // the hook that never answers: one in flight, two queued, the rest dropped and counted
    const status = (await api<{ outputs: { webhooks: { name: string; dropped: number; queued: number; inFlight: boolean; sent: number }[] } }>(s, '/api/status')).body;
    const hook = status.outputs.webhooks[0]!;
    const changes = (await api<{ events: unknown[] }>(s, '/api/events?limit=200')).body.events.length;
    expect(hook).toMatchObject({ name: 'down', sent: 0, queued: 2, inFlight: true });
    expect(hook.dropped).toBe(changes - 3);
    expect((await api<string>(s, '/metrics')).body).toMatch(new RegExp(`segcam_webhook_events_total\\{hook="down",result="dropped"\\} ${changes - 3}`));
    // a recording being made cannot be deleted; a finished one can, and is gone
    expect((await api(s, `/api/recordings/${rec.id}`, { method: 'DELETE', headers: jsonHeaders(s) })).status).toBe(200);
    expect((await api(s, `/api/recordings/${rec.id}`)).status).toBe(404);
    expect((await api(s, '/api/recordings/..%2F..%2Fetc')).status).toBe(400);
  }, 60_000);
});
