/**
 * The outputs, on the front: each camera's rules (their one owner: definitions, switches and
 * states, kept in cameras/NAME/rules.json), the picture of each rule change, the camera's
 * recorder and recordings; and what every camera shares, MQTT and the webhooks. One analysed
 * frame takes one path: camera `analysis` → rule engine → changes → MQTT, webhooks, recorder,
 * viewers. Commands that arrive over MQTT go through the camera's control stage, as a viewer's
 * do; a rule switched there is saved like one switched over the API.
 */
import { join } from 'node:path';
import { settingsPatchSchema, validatePlain, ERROR_CODES, SegcamError, type StatusMessage, type TimedAnalysis } from '../../shared/protocol.js';
import type { RulesReport } from '../../shared/outputs.js';
import { checkRules, type Rule, type RuleChange } from '../../shared/rules.js';
import { RECORDINGS_DIR } from '../capture/source.js';
import type { CameraConfig, OutputsConfig } from '../config/config.js';
import type { Caller, Control } from '../control/control.js';
import { parseJsonText, readTextFile, SettingsFileError, writeFileAtomic } from '../control/file.js';
import type { Logger } from '../log.js';
import { MqttOutput, type MqttCommand, type MqttStats } from '../outputs/mqtt.js';
import { Recorder, RecordingStore } from '../outputs/recorder.js';
import { RuleEngine } from '../outputs/rules.js';
import { Webhooks, type WebhookStatus } from '../outputs/webhooks.js';
import { currentFrame } from '../stream/current.js';
import type { Camera } from './camera.js';

/** RULES_FILE holds a camera's rules, in its folder. */
export const RULES_FILE = 'rules.json';
/** STALE_MS: rules that are on turn off when a camera has analysed nothing for this long (its source is down). */
export const STALE_MS = 3000;
/** PICTURES_KEPT: the pictures of this many of a camera's newest changes are kept, for /api/events/RULE/TIME.jpg. */
export const PICTURES_KEPT = 20;
const EXPIRE_EVERY_MS = 1000;
const RETENTION_EVERY_MS = 10 * 60_000;
/** commands from MQTT act with the control role, as the API does with the control token */
const MQTT_CALLER: Caller = { id: 0, role: 'control' };

/** CameraOutputs are one camera's rules, pictures of changes, recorder and recordings. */
export class CameraOutputs {
  readonly engine: RuleEngine;
  readonly recordings: RecordingStore;
  readonly recorder: Recorder;
  private readonly pictures = new Map<string, Promise<Uint8Array | null>>();
  /** changes of each rule's state since start, for /metrics */
  readonly changes = new Map<string, number>();
  private saving: Promise<void> = Promise.resolve();
  private lastRanges = '';
  private readonly file: string;
  /** bumped by every change of the rules' definitions or switches */
  private revision = 0;

  constructor(
    readonly camera: Camera,
    dir: string,
    rules: Rule[],
    private readonly shared: Outputs,
    private readonly log: Logger,
  ) {
    this.engine = new RuleEngine(camera.name, rules);
    const rec = camera.config.record;
    this.recordings = new RecordingStore(join(dir, RECORDINGS_DIR), shared.config.retention, log);
    this.recorder = new Recorder(
      camera,
      this.recordings,
      {
        view: rec.view,
        preRollMs: rec.preRollMs,
        postRollMs: rec.postRollMs,
        rules: rec.rules,
        maxFps: rec.maxFps,
        maxDurationMs: rec.maxDurationMs,
        onChange: () => shared.rulesChanged(camera),
      },
      log,
    );
    this.file = join(dir, RULES_FILE);
    camera.on('analysis', (a) => this.onAnalysis(a));
    camera.on('status', (s) => shared.mqtt?.setCameraOnline(camera.name, s.state === 'live'));
    this.applyAnalyseMode();
  }

  /** report is the camera's rules with their states. */
  report(): RulesReport {
    return { camera: this.camera.name, rules: this.engine.rules(), states: this.engine.states(), analysing: this.camera.analysing, revision: this.revision };
  }

  /** now is what the viewers' status message carries: the rules' states and the recording being made. */
  now(): Pick<StatusMessage, 'rules' | 'recording'> {
    const r = this.recorder.status().recording;
    return {
      ...(this.engine.rules().length || this.revision ? { rules: this.engine.states(), rulesRevision: this.revision } : {}),
      recording: r ? { id: r.id, reason: r.reason, started: r.started, frames: r.frames } : null,
    };
  }

  /** setRules replaces the rules (checked by the caller), saves them and publishes what changed. */
  async setRules(rules: Rule[]): Promise<RulesReport> {
    const unknown = this.camera.config.record.rules.filter((r) => !rules.some((x) => x.name === r));
    if (unknown.length) this.log.warn(`camera ${this.camera.name}: recording is started by rule ${unknown.join(', ')}, which no longer exists`);
    this.revision++;
    this.dispatch(this.engine.setRules(rules));
    this.afterRulesChanged();
    await this.save();
    return this.report();
  }

  /** setEnabled switches one rule; NOT_FOUND when there is no such rule. */
  async setEnabled(name: string, enabled: boolean): Promise<RulesReport> {
    const rules = this.engine.rules();
    const i = rules.findIndex((r) => r.name === name);
    if (i < 0) throw new SegcamError(ERROR_CODES.NOT_FOUND, `camera ${this.camera.name} has no rule named "${name.slice(0, 40)}"`);
    return this.setRules(rules.map((r, j) => (j === i ? { ...r, enabled } : r)));
  }

  /** picture returns the JPEG of a change (by its rule and time), or null when none is kept. */
  picture(rule: string, time: number): Promise<Uint8Array | null> {
    return this.pictures.get(`${rule}/${time}`) ?? Promise.resolve(null);
  }

  /** pictureUrl is where a change's picture can be fetched (absolute with --public-url). */
  pictureUrl(c: RuleChange): string {
    return `${this.shared.config.publicUrl ?? ''}/cam/${encodeURIComponent(c.camera)}/api/events/${c.rule}/${c.time}.jpg`;
  }

  /** expire turns off the rules of a camera whose analyses stopped. */
  expire(now: number): void {
    this.dispatch(this.engine.expire(now, STALE_MS));
  }

  async close(): Promise<void> {
    await this.recorder.close();
    await this.saving;
  }

  private onAnalysis(a: TimedAnalysis): void {
    const mqtt = this.shared.mqtt;
    const ranges = a.ranges.map((r) => r.name).join('\n');
    if (mqtt && ranges !== this.lastRanges) {
      this.lastRanges = ranges;
      mqtt.setCamera(this.camera.name, { ranges: a.ranges.map((r) => r.name), rules: this.engine.states() });
    }
    this.dispatch(this.engine.update(a));
    mqtt?.analysis(this.camera.name, a);
  }

  /** dispatch hands rule changes to every output: states at once, the picture as soon as there is one. */
  private dispatch(changes: RuleChange[]): void {
    if (!changes.length) return;
    for (const c of changes) {
      this.changes.set(c.rule, (this.changes.get(c.rule) ?? 0) + 1);
      const framed = c.analysis !== null; // a frame caused it: its picture is worth keeping
      if (framed) this.keepPicture(c);
      this.shared.mqtt?.ruleChanged(c);
      this.shared.webhooks.send(c, framed ? this.pictureUrl(c) : undefined);
      this.recorder.ruleChanged(c);
      if (framed && this.shared.config.mqtt?.snapshots) void this.picture(c.rule, c.time).then((jpeg) => jpeg && this.shared.mqtt?.snapshot(c.camera, jpeg));
      this.log.info(`camera ${c.camera}: rule ${c.rule} ${c.state} (${c.reason}${c.value !== null ? `, value ${Math.round(c.value * 100) / 100}` : ''})`);
    }
    this.shared.rulesChanged(this.camera);
  }

  private keepPicture(c: RuleChange): void {
    const view = this.camera.config.record.view;
    const p = currentFrame(this.camera.hub, view, c.analysis?.rev ?? 0, { minTs: c.time }).then((f) => (f && !f.placeholder ? f.jpeg : null));
    this.pictures.set(`${c.rule}/${c.time}`, p);
    while (this.pictures.size > PICTURES_KEPT) this.pictures.delete(this.pictures.keys().next().value!);
  }

  private afterRulesChanged(): void {
    this.shared.mqtt?.setCamera(this.camera.name, { ranges: this.lastRanges ? this.lastRanges.split('\n') : [], rules: this.engine.states() });
    this.applyAnalyseMode();
    this.shared.rulesChanged(this.camera);
  }

  /** applyAnalyseMode: a camera with an enabled rule analyses every frame, watched or not (rules must see them). */
  private applyAnalyseMode(): void {
    this.camera.setAnalyseAlways(this.engine.rules().some((r) => r.enabled));
  }

  private save(): Promise<void> {
    const text = `${JSON.stringify({ version: 1, rules: this.engine.rules() }, null, 2)}\n`;
    this.saving = this.saving.then(() =>
      writeFileAtomic(this.file, text).catch((e: unknown) => {
        this.log.error(`camera ${this.camera.name}: cannot save its rules to ${this.file}: ${(e as Error).message}`);
        throw new SegcamError(ERROR_CODES.SOURCE_FAILED, 'the rules apply now but could not be saved; see the server log');
      }),
    );
    const mine = this.saving;
    this.saving = mine.catch(() => undefined);
    return mine;
  }
}

/**
 * loadRules returns a camera's rules at start: the config file's when it gives some (they
 * replace the saved ones), else the saved ones, else none. A saved file that cannot be used
 * stops the start (SettingsFileError), as a broken settings file does: it is never overwritten.
 */
export async function loadRules(config: CameraConfig, dir: string, log: Logger): Promise<Rule[]> {
  const path = join(dir, RULES_FILE);
  if (config.rules) {
    const saved = await readTextFile(path).catch(() => null);
    if (saved !== null) log.info(`camera ${config.name}: its rules are the config file's (the ones saved in ${path} are replaced)`);
    return config.rules;
  }
  const text = await readTextFile(path);
  if (text === null) return [];
  const data = parseJsonText(path, text) as { version?: unknown; rules?: unknown };
  if (!data || typeof data !== 'object' || data.version !== 1) throw new SettingsFileError(path, '', 'not a rules file of version 1');
  const checked = checkRules(data.rules, 'rules');
  if (!checked.ok) throw new SettingsFileError(path, '', checked.error.message);
  return checked.value;
}

/** OutputsStatus is what /api/status shows of the shared outputs. */
export interface OutputsStatus {
  mqtt: MqttStats | null;
  webhooks: WebhookStatus[];
}

/** Outputs are every camera's outputs and the shared MQTT and webhooks. */
export class Outputs {
  readonly mqtt: MqttOutput | null;
  readonly webhooks: Webhooks;
  readonly cameras = new Map<string, CameraOutputs>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly listeners: ((camera: Camera) => void)[] = [];

  constructor(
    readonly config: OutputsConfig,
    private readonly controls: Map<string, Control>,
    private readonly log: Logger,
    version?: string,
  ) {
    this.mqtt = config.mqtt ? new MqttOutput(config.mqtt, { log, version, onCommand: (camera, cmd) => this.command(camera, cmd) }) : null;
    this.webhooks = new Webhooks(config.webhooks, log);
  }

  /** add gives a camera its outputs, with the rules it starts with. */
  add(camera: Camera, dir: string, rules: Rule[]): CameraOutputs {
    const o = new CameraOutputs(camera, dir, rules, this, this.log);
    this.cameras.set(camera.name, o);
    this.mqtt?.setCamera(camera.name, { ranges: [], rules: o.engine.states() });
    return o;
  }

  /** onRulesChanged registers a listener told whenever a camera's rules or their states change (the viewers). */
  onRulesChanged(listener: (camera: Camera) => void): void {
    this.listeners.push(listener);
  }

  /** rulesChanged tells the listeners. */
  rulesChanged(camera: Camera): void {
    for (const l of this.listeners) l(camera);
  }

  /** start connects MQTT, and starts the expiry of stale rules and the recordings' retention. */
  start(): void {
    this.mqtt?.start();
    this.timers.push(
      setInterval(() => {
        const now = Date.now();
        for (const o of this.cameras.values()) o.expire(now);
      }, EXPIRE_EVERY_MS),
    );
    const retention = (): void => {
      for (const o of this.cameras.values())
        void o.recordings.enforce().catch((e: unknown) => this.log.warn(`recordings of ${o.camera.name}: retention failed: ${(e as Error).message}`));
    };
    if (this.config.retention.maxAgeMs !== undefined || this.config.retention.maxBytes !== undefined) {
      retention();
      this.timers.push(setInterval(retention, RETENTION_EVERY_MS));
    }
    for (const t of this.timers) t.unref();
  }

  status(): OutputsStatus {
    return { mqtt: this.mqtt?.stats() ?? null, webhooks: this.webhooks.status() };
  }

  /** close stops recording, says offline on MQTT and gives the webhooks a moment to deliver. */
  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await Promise.all([...this.cameras.values()].map((o) => o.close()));
    await Promise.all([this.mqtt?.close(), this.webhooks.close(1000)]);
  }

  /** command carries out an MQTT command for a camera through its control stage. */
  private async command(camera: string, cmd: MqttCommand): Promise<unknown> {
    const control = this.controls.get(camera);
    const o = this.cameras.get(camera);
    if (!control || !o) throw new Error(`no camera named "${camera}"`);
    switch (cmd.type) {
      case 'preset':
        return control.loadPreset(cmd.name, MQTT_CALLER);
      case 'settings':
        return control.set(cmd.patch, MQTT_CALLER);
      case 'method': {
        const checked = validatePlain(settingsPatchSchema, { method: { kind: cmd.method } }, 'method');
        if (!checked.ok) throw checked.error;
        return control.set(checked.value, MQTT_CALLER);
      }
      case 'rule':
        return o.setEnabled(cmd.rule, cmd.enabled);
    }
  }
}
