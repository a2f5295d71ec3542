/**
 * MQTT output (mqtt.js), for Home Assistant and anything else on a broker. It publishes:
 *
 *   BASE/status                        online | offline, retained; the last will says offline
 *   BASE/CAMERA/status                 online | offline, retained (the front says whether the camera is live)
 *   BASE/CAMERA/rules/RULE/state       ON | OFF, retained
 *   BASE/CAMERA/rules/RULE/attributes  JSON {state, since, value, enabled, reason}, retained
 *   BASE/CAMERA/rules/RULE/enabled     ON | OFF, retained (the rule's switch)
 *   BASE/CAMERA/events                 JSON per rule change {camera, rule, state, previous, time, reason, value, analysis}
 *   BASE/CAMERA/snapshot               JPEG of the moment of the newest change, retained (with `snapshots`)
 *   BASE/CAMERA/coverage               JSON {ts, method, coverage, ranges: {NAME: %}, counts: {NAME: n}, zones?: {ZONE: {NAME: {coverage, count}}}},
 *                                      at most every stateIntervalMs
 *   BASE/CAMERA/ranges/SLUG/coverage   one range's coverage, %, as text, at the same rate (and `count`, its targets or blobs, while they are found)
 *
 * and takes commands (never retained ones: a command stored on the broker would be applied
 * again at every reconnect):
 *
 *   BASE/CAMERA/set/preset             a preset's name
 *   BASE/CAMERA/set/settings           a JSON settings patch (what PATCH /api/settings takes)
 *   BASE/CAMERA/set/method             a segmentation method's name (passed on; the front decides)
 *   BASE/CAMERA/rules/RULE/set         ON | OFF: enable or disable the rule
 *
 * With discovery on, every camera is a Home Assistant device (retained configs under
 * DISCOVERY/COMPONENT/NODE/OBJECT/config): each rule a binary_sensor and a switch, the whole
 * mask's and each range's coverage a sensor (%), the snapshot a camera; they are published
 * again when Home Assistant announces itself (DISCOVERY/status online), and removed (an empty
 * retained config) when a rule or range goes away.
 *
 * Nothing is ever queued for a broker that is down: mqtt.js's own offline queue is off, every
 * publish while disconnected (or with too many unacknowledged in flight) is dropped and
 * counted, and each (re)connection publishes the current retained state again, so a restarted
 * broker that lost its retained messages gets them back. Reconnection is this module's own,
 * with capped, jittered backoff (mqtt.js's reconnectPeriod is one fixed interval).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { presetNameSchema, settingsPatchSchema, validatePlain, type SettingsPatch, type TimedAnalysis } from '../../shared/protocol.js';
import { measure, type RuleChange, type RuleState } from '../../shared/rules.js';
import { backoffDelay } from '../capture/backoff.js';
import { redactSource } from '../capture/source.js';
import type { Logger } from '../log.js';

/** MqttOptions configure the connection and what is published. Times in ms. */
export interface MqttOptions {
  /** mqtt://host[:port] or mqtts://host[:port] */
  url: string;
  username?: string;
  password?: string;
  /** PEM files for TLS: the CA that signed the broker's certificate, and a client certificate and key */
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** default true: a broker certificate that does not verify is refused */
  rejectUnauthorized?: boolean;
  /** default 'segcam' */
  baseTopic?: string;
  /** default 'homeassistant' */
  discoveryPrefix?: string;
  /** default true */
  discovery?: boolean;
  /** least ms between two coverage publications of one camera (default 1000) */
  stateIntervalMs?: number;
  /** publish a JPEG on BASE/CAMERA/snapshot with each rule change (default false) */
  snapshots?: boolean;
  /** default: segcam-RANDOM */
  clientId?: string;
  /** s between keepalive pings (default 30) */
  keepaliveS?: number;
  /** backoff between connection attempts, ms (default 1000..30000) */
  reconnect?: { minMs: number; maxMs: number };
  /** ms a connection attempt may take, up to the broker's CONNACK (default 10000) */
  connectTimeoutMs?: number;
  /** unacknowledged publications beyond which new ones are dropped (default 100) */
  maxInFlight?: number;
}

/** MqttCommand is a command that arrived for a camera. */
export type MqttCommand =
  | { type: 'preset'; name: string }
  | { type: 'settings'; patch: SettingsPatch }
  | { type: 'method'; method: string }
  | { type: 'rule'; rule: string; enabled: boolean };

/** CommandHandler carries out a command; a rejection is logged and counted, never thrown. */
export type CommandHandler = (camera: string, command: MqttCommand) => Promise<unknown>;

/** MqttCamera is what the output needs to know of a camera: its ranges' names (for the sensors) and its rules' states. */
export interface MqttCamera {
  ranges: string[];
  rules: RuleState[];
}

/** MqttStats for `/api/status` and `/metrics`. */
export interface MqttStats {
  connected: boolean;
  /** publications the broker took (acknowledged, or written for QoS 0) */
  sent: number;
  /** publications not made: disconnected, or too many in flight */
  dropped: number;
  /** publications in flight when a connection closed (they may or may not have arrived) */
  unconfirmed: number;
  inFlight: number;
  /** successful connections after the first */
  reconnects: number;
  commands: number;
  commandErrors: number;
  lastError: string | null;
  /** ms since the epoch of the current connection, null while disconnected */
  connectedSince: number | null;
}

const TOPIC_LEVEL = /^[^#+/\u0000]+$/;

/** topicProblem says why a base topic or discovery prefix cannot be used, or null. */
export function topicProblem(t: string): string | null {
  if (!t) return 'must not be empty';
  if (t.startsWith('/') || t.endsWith('/')) return 'must not start or end with /';
  if (!t.split('/').every((l) => TOPIC_LEVEL.test(l))) return 'must not hold +, # or empty levels';
  return null;
}

/** slug makes a name usable as one topic level and in a Home Assistant id. */
export function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 48) || 'x'
  );
}

/** rangeSlugs gives each range name its topic level, unique within the list (a clash gets _2, _3, ...). */
export function rangeSlugs(names: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const n of names) {
    if (out.has(n)) continue;
    const base = slug(n);
    let s = base;
    for (let i = 2; used.has(s); i++) s = `${base}_${i}`;
    used.add(s);
    out.set(n, s);
  }
  return out;
}

const round2 = (v: number): number => Math.round(v * 100) / 100;

interface CameraEntry {
  info: MqttCamera;
  online: boolean;
  /** discovery config topic → JSON, as published */
  discovery: Map<string, string>;
  coverage: { lastAt: number; pending: TimedAnalysis | null; timer: NodeJS.Timeout | null };
}

/** MqttOutput is one connection to a broker, for every camera. */
export class MqttOutput {
  private client: MqttClient | null = null;
  private readonly cameras = new Map<string, CameraEntry>();
  private readonly base: string;
  private readonly disc: string;
  private readonly discovery: boolean;
  private readonly interval: number;
  private readonly maxInFlight: number;
  private readonly backoff: { minMs: number; maxMs: number };
  private attempt = 0;
  private everConnected = false;
  private closing = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  /** bumped whenever a connection closes: callbacks of an older connection are not counted twice */
  private generation = 0;
  private readonly s = { sent: 0, dropped: 0, unconfirmed: 0, inFlight: 0, reconnects: 0, commands: 0, commandErrors: 0 };
  private lastError: string | null = null;
  private connectedSince: number | null = null;
  private warnedRetained = false;

  constructor(
    private readonly opts: MqttOptions,
    private readonly deps: { log: Logger; onCommand: CommandHandler; version?: string },
  ) {
    const u = new URL(opts.url);
    if (u.protocol !== 'mqtt:' && u.protocol !== 'mqtts:') throw new Error(`MQTT URL ${redactSource(opts.url)}: use mqtt:// or mqtts://`);
    this.base = opts.baseTopic ?? 'segcam';
    this.disc = opts.discoveryPrefix ?? 'homeassistant';
    for (const [what, t] of [
      ['base topic', this.base],
      ['discovery prefix', this.disc],
    ] as const) {
      const p = topicProblem(t);
      if (p) throw new Error(`MQTT ${what} "${t}" ${p}`);
    }
    this.discovery = opts.discovery ?? true;
    this.interval = Math.max(0, opts.stateIntervalMs ?? 1000);
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? 100);
    this.backoff = opts.reconnect ?? { minMs: 1000, maxMs: 30_000 };
  }

  /** start connects (in the background: this returns at once, and a broker that is down is retried). */
  start(): void {
    if (this.client || this.closing) return;
    const o = this.opts;
    const options: IClientOptions = {
      clientId: o.clientId ?? `segcam-${randomBytes(4).toString('hex')}`,
      username: o.username,
      password: o.password,
      clean: true,
      keepalive: o.keepaliveS ?? 30,
      connectTimeout: o.connectTimeoutMs ?? 10_000,
      reconnectPeriod: 0, // reconnection is ours, with backoff
      queueQoSZero: false,
      resubscribe: false, // subscribed again on every connect
      will: { topic: `${this.base}/status`, payload: Buffer.from('offline'), qos: 1, retain: true },
      ...(o.caFile ? { ca: readFileSync(o.caFile) } : {}),
      ...(o.certFile ? { cert: readFileSync(o.certFile) } : {}),
      ...(o.keyFile ? { key: readFileSync(o.keyFile) } : {}),
      rejectUnauthorized: o.rejectUnauthorized ?? true,
    };
    const client = mqtt.connect(o.url, options);
    this.client = client;
    client.on('connect', () => this.onConnect());
    client.on('close', () => this.onClose());
    client.on('error', (e) => this.noteError(e.message || String(e)));
    client.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet.retain));
  }

  /** setCamera declares a camera (or updates it): its discovery configs, availability, and rules' states and switches. */
  setCamera(camera: string, info: MqttCamera): void {
    let e = this.cameras.get(camera);
    if (!e) {
      e = { info, online: true, discovery: new Map(), coverage: { lastAt: 0, pending: null, timer: null } };
      this.cameras.set(camera, e);
      this.publish(`${this.base}/${camera}/status`, 'online', { retain: true });
    }
    // a rule that went away leaves no retained state behind (a subscriber would take it for current)
    for (const r of e.info.rules)
      if (!info.rules.some((x) => x.name === r.name))
        for (const leaf of ['state', 'attributes', 'enabled']) this.publish(`${this.base}/${camera}/rules/${r.name}/${leaf}`, '', { retain: true });
    e.info = { ranges: [...info.ranges], rules: info.rules.map((r) => ({ ...r })) };
    this.publishDiscovery(camera, e, false);
    for (const r of e.info.rules) this.publishRule(camera, r, null);
  }

  /** removeCamera takes a camera's entities out of Home Assistant and clears its retained state. */
  removeCamera(camera: string): void {
    const e = this.cameras.get(camera);
    if (!e) return;
    if (e.coverage.timer) clearTimeout(e.coverage.timer);
    for (const topic of e.discovery.keys()) this.publish(topic, '', { retain: true });
    for (const r of e.info.rules) for (const leaf of ['state', 'attributes', 'enabled']) this.publish(`${this.base}/${camera}/rules/${r.name}/${leaf}`, '', { retain: true });
    this.publish(`${this.base}/${camera}/snapshot`, '', { retain: true });
    this.publish(`${this.base}/${camera}/status`, '', { retain: true });
    this.cameras.delete(camera);
  }

  /** setCameraOnline says whether a camera is live (its entities are unavailable while it is not). */
  setCameraOnline(camera: string, online: boolean): void {
    const e = this.cameras.get(camera);
    if (!e || e.online === online) return;
    e.online = online;
    this.publish(`${this.base}/${camera}/status`, online ? 'online' : 'offline', { retain: true });
  }

  /** ruleChanged publishes a rule's new state, the event, and (with `snapshots`) the picture of the moment. */
  ruleChanged(change: RuleChange, snapshot?: Uint8Array | null): void {
    const e = this.cameras.get(change.camera);
    let state: RuleState = { name: change.rule, state: change.state, since: change.time, enabled: true, value: change.value, pending: null };
    if (e) {
      const i = e.info.rules.findIndex((r) => r.name === change.rule);
      if (i >= 0) {
        state = { ...e.info.rules[i]!, state: change.state, since: change.time, value: change.value, pending: null };
        e.info.rules[i] = state;
      }
    }
    this.publishRule(change.camera, state, change.reason);
    const { camera, rule, state: s, previous, time, reason, value, analysis } = change;
    this.publish(`${this.base}/${camera}/events`, JSON.stringify({ camera, rule, state: s, previous, time, reason, value, analysis }), { retain: false });
    if (snapshot) this.snapshot(camera, snapshot);
  }

  /** snapshot publishes the picture of a camera's newest rule change (with `snapshots`), retained. */
  snapshot(camera: string, jpeg: Uint8Array): void {
    if (this.opts.snapshots) this.publish(`${this.base}/${camera}/snapshot`, Buffer.from(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength), { retain: true });
  }

  /** analysis offers a camera's newest analysis; its coverage goes out at most every stateIntervalMs (the newest wins). */
  analysis(camera: string, a: TimedAnalysis): void {
    let e = this.cameras.get(camera);
    if (!e) {
      e = { info: { ranges: a.ranges.map((r) => r.name), rules: [] }, online: true, discovery: new Map(), coverage: { lastAt: 0, pending: null, timer: null } };
      this.cameras.set(camera, e);
    }
    const c = e.coverage;
    const now = Date.now();
    if (now - c.lastAt >= this.interval && !c.timer) {
      c.lastAt = now;
      this.publishCoverage(camera, a);
      return;
    }
    c.pending = a;
    c.timer ??= setTimeout(
      () => {
        c.timer = null;
        const p = c.pending;
        c.pending = null;
        if (!p || !this.cameras.has(camera)) return;
        c.lastAt = Date.now();
        this.publishCoverage(camera, p);
      },
      Math.max(0, c.lastAt + this.interval - now),
    );
  }

  stats(): MqttStats {
    return { connected: this.client?.connected ?? false, ...this.s, lastError: this.lastError, connectedSince: this.connectedSince };
  }

  /** close says offline (when connected), then disconnects; bounded in time, it never throws. */
  async close(): Promise<void> {
    if (this.closing) return;
    const client = this.client;
    if (client?.connected) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2000);
        client.publish(`${this.base}/status`, 'offline', { qos: 1, retain: true }, () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    this.closing = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    for (const e of this.cameras.values()) if (e.coverage.timer) clearTimeout(e.coverage.timer);
    if (!client) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        client.end(true);
        resolve();
      }, 2000);
      client.end(false, {}, () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  // -------------------------------------------------------------------------------------

  private onConnect(): void {
    const client = this.client!;
    if (this.everConnected) {
      this.s.reconnects++;
      this.deps.log.info(`MQTT ${redactSource(this.opts.url)}: connected again${this.attempt ? ` after ${this.attempt} attempt${this.attempt > 1 ? 's' : ''}` : ''}`);
    } else this.deps.log.info(`MQTT ${redactSource(this.opts.url)}: connected`);
    this.everConnected = true;
    this.attempt = 0;
    this.lastError = null;
    this.connectedSince = Date.now();
    const topics = [`${this.base}/+/set/+`, `${this.base}/+/rules/+/set`, ...(this.discovery ? [`${this.disc}/status`] : [])];
    client.subscribe(topics, { qos: 1 }, (err) => {
      if (err) this.noteError(`subscribing to the command topics failed: ${err.message}`);
    });
    this.publish(`${this.base}/status`, 'online', { retain: true });
    for (const [camera, e] of this.cameras) {
      this.publish(`${this.base}/${camera}/status`, e.online ? 'online' : 'offline', { retain: true });
      this.publishDiscovery(camera, e, true);
      for (const r of e.info.rules) this.publishRule(camera, r, null);
    }
  }

  private onClose(): void {
    const wasConnected = this.connectedSince !== null;
    this.connectedSince = null;
    this.generation++;
    this.s.unconfirmed += this.s.inFlight;
    this.s.inFlight = 0;
    if (this.closing) return;
    if (wasConnected) this.deps.log.warn(`MQTT ${redactSource(this.opts.url)}: connection lost${this.lastError ? ` (${this.lastError})` : ''}; reconnecting`);
    if (this.reconnectTimer) return;
    this.attempt++;
    const delay = backoffDelay(this.attempt, this.backoff);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.closing) this.client?.reconnect();
    }, delay);
  }

  private noteError(message: string): void {
    if (message !== this.lastError) this.deps.log.warn(`MQTT ${redactSource(this.opts.url)}: ${message}`);
    this.lastError = message;
  }

  /** publish sends one message if the broker can take it now; otherwise it is dropped and counted. */
  private publish(topic: string, payload: string | Buffer, o: { retain: boolean; qos?: 0 | 1 }): boolean {
    const client = this.client;
    if (!client?.connected || this.closing || this.s.inFlight >= this.maxInFlight) {
      this.s.dropped++;
      return false;
    }
    const gen = this.generation;
    this.s.inFlight++;
    client.publish(topic, payload, { qos: o.qos ?? 1, retain: o.retain }, (err) => {
      if (gen !== this.generation) return; // counted as unconfirmed when that connection closed
      this.s.inFlight--;
      if (err) this.s.dropped++;
      else this.s.sent++;
    });
    return true;
  }

  private publishRule(camera: string, r: RuleState, reason: RuleChange['reason'] | null): void {
    const t = `${this.base}/${camera}/rules/${r.name}`;
    this.publish(`${t}/state`, r.state === 'on' ? 'ON' : 'OFF', { retain: true });
    this.publish(`${t}/attributes`, JSON.stringify({ state: r.state, since: r.since, value: r.value, enabled: r.enabled, ...(reason ? { reason } : {}) }), { retain: true });
    this.publish(`${t}/enabled`, r.enabled ? 'ON' : 'OFF', { retain: true });
  }

  private publishCoverage(camera: string, a: TimedAnalysis): void {
    const ranges: Record<string, number> = {};
    const counts: Record<string, number> = {};
    const slugs = rangeSlugs(a.ranges.map((r) => r.name));
    for (const r of a.ranges) {
      ranges[r.name] = round2(r.coverage);
      const n = measure(a, { range: r.name }, 'count');
      if (n !== null) counts[r.name] = n;
    }
    const zones = a.zones?.length
      ? Object.fromEntries(a.zones.map((z) => [z.name, Object.fromEntries(z.regions.map((r) => [r.name, { coverage: round2(r.coverage), count: r.targets.length }]))]))
      : undefined;
    this.publish(`${this.base}/${camera}/coverage`, JSON.stringify({ ts: a.ts, method: a.method, coverage: round2(a.coverage), ranges, counts, ...(zones ? { zones } : {}) }), {
      retain: false,
      qos: 0,
    });
    for (const r of a.ranges) {
      const t = `${this.base}/${camera}/ranges/${slugs.get(r.name)}`;
      this.publish(`${t}/coverage`, String(round2(r.coverage)), { retain: false, qos: 0 });
      if (counts[r.name] !== undefined) this.publish(`${t}/count`, String(counts[r.name]), { retain: false, qos: 0 });
    }
  }

  /** discoveryConfigs returns a camera's Home Assistant entities: config topic → payload. */
  discoveryConfigs(camera: string, info: MqttCamera): Map<string, Record<string, unknown>> {
    const b = `${this.base}/${camera}`;
    const node = slug(`${this.base}_${camera}`);
    const device = { identifiers: [node], name: camera, manufacturer: 'segcam', model: 'segcam camera', ...(this.deps.version ? { sw_version: this.deps.version } : {}) };
    const common = {
      device,
      origin: { name: 'segcam', ...(this.deps.version ? { sw_version: this.deps.version } : {}) },
      availability: [{ topic: `${this.base}/status` }, { topic: `${b}/status` }],
      availability_mode: 'all',
    };
    const out = new Map<string, Record<string, unknown>>();
    const add = (component: string, object: string, cfg: Record<string, unknown>): void => {
      // default_entity_id names the entity since Home Assistant 2025.10; object_id, which it replaced, for older ones
      const id = `${node}_${object}`;
      const entity = id.replace(/-/g, '_'); // an entity id takes a-z, 0-9 and _ only
      out.set(`${this.disc}/${component}/${node}/${object}/config`, { ...cfg, unique_id: id, default_entity_id: `${component}.${entity}`, object_id: entity, ...common });
    };
    for (const r of info.rules) {
      add('binary_sensor', `rule_${slug(r.name)}`, {
        name: r.name,
        state_topic: `${b}/rules/${r.name}/state`,
        payload_on: 'ON',
        payload_off: 'OFF',
        json_attributes_topic: `${b}/rules/${r.name}/attributes`,
      });
      add('switch', `rule_${slug(r.name)}_enabled`, {
        name: `${r.name} enabled`,
        command_topic: `${b}/rules/${r.name}/set`,
        state_topic: `${b}/rules/${r.name}/enabled`,
        payload_on: 'ON',
        payload_off: 'OFF',
        entity_category: 'config',
        icon: 'mdi:toggle-switch',
      });
    }
    add('sensor', 'coverage', {
      name: 'coverage',
      state_topic: `${b}/coverage`,
      value_template: '{{ value_json.coverage }}',
      unit_of_measurement: '%',
      state_class: 'measurement',
      icon: 'mdi:select-all',
    });
    for (const [name, s] of rangeSlugs(info.ranges)) {
      add('sensor', `coverage_${s}`, {
        name: `${name} coverage`,
        state_topic: `${b}/ranges/${s}/coverage`,
        unit_of_measurement: '%',
        state_class: 'measurement',
        icon: 'mdi:palette',
      });
    }
    if (this.opts.snapshots) add('camera', 'snapshot', { name: 'snapshot', topic: `${b}/snapshot` });
    return out;
  }

  /** publishDiscovery publishes the configs that are new or changed (all of them with `all`) and empties those gone. */
  private publishDiscovery(camera: string, e: CameraEntry, all: boolean): void {
    if (!this.discovery) return;
    const next = new Map([...this.discoveryConfigs(camera, e.info)].map(([t, cfg]) => [t, JSON.stringify(cfg)]));
    for (const topic of e.discovery.keys()) if (!next.has(topic)) this.publish(topic, '', { retain: true });
    for (const [topic, payload] of next) if (all || e.discovery.get(topic) !== payload) this.publish(topic, payload, { retain: true });
    e.discovery = next;
  }

  private onMessage(topic: string, payload: Buffer, retained: boolean): void {
    if (topic === `${this.disc}/status`) {
      // Home Assistant started again: it wants the discovery configs once more
      if (payload.toString().trim() === 'online') for (const [camera, e] of this.cameras) this.publishDiscovery(camera, e, true);
      return;
    }
    if (!topic.startsWith(`${this.base}/`)) return;
    const levels = topic.slice(this.base.length + 1).split('/');
    const camera = levels[0]!;
    const cmd = this.parseCommand(levels, payload.toString('utf8'));
    if (!cmd) return;
    if (retained) {
      if (!this.warnedRetained) this.deps.log.warn(`MQTT: ignoring a retained command on ${topic} (publish commands without the retain flag)`);
      this.warnedRetained = true;
      return;
    }
    if (!this.cameras.has(camera)) {
      this.deps.log.warn(`MQTT: a command for camera "${camera.slice(0, 40)}", which does not exist, was ignored`);
      return;
    }
    if ('error' in cmd) {
      this.s.commandErrors++;
      this.deps.log.warn(`MQTT: ${topic}: ${cmd.error}`);
      return;
    }
    this.s.commands++;
    let pending: Promise<unknown>;
    try {
      pending = Promise.resolve(this.deps.onCommand(camera, cmd));
    } catch (e) {
      pending = Promise.reject(e);
    }
    pending.catch((e: unknown) => {
      this.s.commandErrors++;
      this.deps.log.warn(`MQTT: ${topic}: ${(e as Error)?.message ?? String(e)}`);
    });
  }

  private parseCommand(levels: string[], text: string): MqttCommand | { error: string } | null {
    if (levels.length === 3 && levels[1] === 'set') {
      switch (levels[2]) {
        case 'preset': {
          const name = presetNameSchema.safeParse(text.trim());
          return name.success ? { type: 'preset', name: name.data } : { error: 'not a preset name' };
        }
        case 'method': {
          const method = text.trim();
          return /^[\w.-]{1,64}$/.test(method) ? { type: 'method', method } : { error: 'not a method name' };
        }
        case 'settings': {
          let data: unknown;
          try {
            data = JSON.parse(text);
          } catch {
            return { error: 'the settings patch is not JSON' };
          }
          const checked = validatePlain(settingsPatchSchema, data, 'settings');
          return checked.ok ? { type: 'settings', patch: checked.value } : { error: checked.error.message };
        }
        default:
          return null;
      }
    }
    if (levels.length === 4 && levels[1] === 'rules' && levels[3] === 'set') {
      const v = text.trim().toUpperCase();
      const enabled = v === 'ON' || v === 'TRUE' || v === '1' ? true : v === 'OFF' || v === 'FALSE' || v === '0' ? false : null;
      return enabled === null ? { error: `a rule's switch takes ON or OFF, got "${text.slice(0, 20)}"` } : { type: 'rule', rule: levels[2]!, enabled };
    }
    return null;
  }
}
