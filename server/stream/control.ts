/**
 * The control stage: every request to change shared state, from a WebSocket viewer or the HTTP
 * API, comes through here already validated by the shared schema. One place checks the role,
 * applies the change, and lets the settings store broadcast it to everyone.
 */
import { ERROR_CODES, SegcamError, checkSettings, type PickedMessage, type Role, type SettingsPatch, type SourceStatus } from '../../shared/protocol.js';
import type { Settings } from '../../shared/settings.js';
import { fileProblem, parseSource, SourceSpecError } from '../capture/source.js';
import type { Logger } from '../log.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { Box } from '../segment/pick.js';
import type { PresetStore } from '../settings/presets.js';
import type { SettingsStore } from '../settings/store.js';

/** Caller identifies who asks: a viewer (id > 0) or the HTTP API (id 0), and its role. */
export interface Caller {
  id: number;
  role: Role;
}

/** Control applies validated requests. Each method throws SegcamError with a stable code. */
export class Control {
  constructor(
    private readonly store: SettingsStore,
    private readonly presets: PresetStore,
    private readonly pipeline: Pipeline,
    private readonly log: Logger,
  ) {}

  get settings(): Settings {
    return this.store.current;
  }

  /** set applies a partial settings update; everyone receives the new settings. */
  set(patch: SettingsPatch, caller: Caller, id?: number): Settings {
    requireControl(caller, 'change settings');
    const result = this.store.update(patch, caller.id, id);
    if (!result.ok) throw result.error;
    return result.value;
  }

  /** switchSource opens another source; on failure the current one keeps running. */
  async switchSource(text: string, caller: Caller): Promise<SourceStatus> {
    requireControl(caller, 'switch the source');
    let spec;
    try {
      spec = parseSource(text);
    } catch (e) {
      throw new SegcamError(ERROR_CODES.INVALID, `source: ${(e as SourceSpecError).message}`);
    }
    if (spec.kind === 'file' && fileProblem(spec.path)) {
      throw new SegcamError(ERROR_CODES.SOURCE_FAILED, `file not found: ${text}`);
    }
    await this.pipeline.switchSource(spec);
    this.log.info(`source switched to ${this.pipeline.status.source} by ${who(caller)}`);
    return this.pipeline.status;
  }

  /** pick proposes a range round a box of the newest original frame (any role may ask). */
  async pick(box: Box): Promise<PickedMessage> {
    const space = this.store.current.space;
    const { lower, upper, samples } = await this.pipeline.pick(box, space);
    return { type: 'picked', range: { lower, upper }, space, samples };
  }

  async listPresets(): Promise<{ names: string[]; active?: string }> {
    const names = await this.presets.list();
    return { names, ...(this.presets.active ? { active: this.presets.active } : {}) };
  }

  async savePreset(name: string, caller: Caller): Promise<void> {
    requireControl(caller, 'save presets');
    await this.presets.save(name, this.store.current);
  }

  /** loadPreset makes a preset the current settings, for everyone. */
  async loadPreset(name: string, caller: Caller): Promise<Settings> {
    requireControl(caller, 'load presets');
    const settings = await this.presets.load(name);
    const result = this.store.replace(settings, caller.id);
    if (!result.ok) throw result.error;
    return result.value;
  }

  async importPreset(name: string, settings: Settings, caller: Caller): Promise<void> {
    requireControl(caller, 'import presets');
    const checked = checkSettings(settings);
    if (!checked.ok) throw checked.error;
    await this.presets.save(name, checked.value);
  }

  async exportPreset(name: string): Promise<Settings> {
    return this.presets.read(name);
  }

  async renamePreset(name: string, to: string, caller: Caller): Promise<void> {
    requireControl(caller, 'rename presets');
    await this.presets.rename(name, to);
  }

  async deletePreset(name: string, caller: Caller): Promise<void> {
    requireControl(caller, 'delete presets');
    await this.presets.remove(name);
  }
}

function requireControl(caller: Caller, what: string): void {
  if (caller.role !== 'control') throw new SegcamError(ERROR_CODES.FORBIDDEN, `the view-only token may not ${what}`);
}

function who(caller: Caller): string {
  return caller.id ? `viewer ${caller.id}` : 'the HTTP API';
}
