/**
 * The control stage of one camera: every request to change its shared state, from a WebSocket
 * viewer or the HTTP API, comes through here already validated by the shared schema. One place
 * checks the role, applies the change, and lets the settings store (settings) or the `presets`
 * callback (the preset list) tell every viewer.
 */
import {
  ERROR_CODES,
  SegcamError,
  applySettingsPatch,
  checkSettings,
  upgradeSettings,
  type PickedMessage,
  type Role,
  type SettingsInput,
  type SettingsPatch,
} from '../../shared/protocol.js';
import { recipeOf, type Recipe, type Settings } from '../../shared/settings.js';
import type { ControlReport, SourceStatus } from '../../shared/status.js';
import type { CameraControls } from '../capture/controls.js';
import { describeFileProblem, fileProblem, parseSource, redactSource, resolveRecordingSource, SourceSpecError, type SourceSpec } from '../capture/source.js';
import type { Camera } from '../front/camera.js';
import type { Logger } from '../log.js';
import { resolveModelFile } from '../segment/methods/files.js';
import type { Box } from '../segment/pick.js';

/** Caller identifies who asks: a viewer (id > 0) or the HTTP API (id 0), and its role. */
export interface Caller {
  id: number;
  role: Role;
}

/** PresetList is what every viewer is told when the presets change. */
export interface PresetList {
  names: string[];
  active?: string;
}

/** ControlOptions: `dataDir` is the data folder, where `recording:ID` sources are looked up (without it they are refused). */
export interface ControlOptions {
  dataDir?: string;
}

/** Control applies validated requests to one camera. Each method throws SegcamError with a stable code. */
export class Control {
  constructor(
    readonly camera: Camera,
    private readonly log: Logger,
    /** told the new list after every change of the presets */
    private readonly presetsChanged: (list: PresetList) => void = () => undefined,
    private readonly options: ControlOptions = {},
  ) {}

  get settings(): Settings {
    return this.camera.store.current;
  }

  /** set applies a partial settings update; everyone receives the new settings (unless nothing changed). */
  set(patch: SettingsPatch, caller: Caller, id?: number): Settings {
    requireControl(caller, 'change settings');
    if (patch.method) this.checkModelFile(patch);
    const result = this.camera.store.update(patch, caller.id, id);
    if (!result.ok) throw result.error;
    return result.value;
  }

  /** checkModelFile refuses a change to a model method whose file is not in the models folder (nothing changes). */
  private checkModelFile(patch: SettingsPatch): void {
    const next = applySettingsPatch(this.camera.store.current, patch);
    if (!next.ok || next.value.method.kind !== 'model') return; // the store says what is wrong with it
    try {
      resolveModelFile(this.camera.config.modelsDir, next.value.method.file);
    } catch (e) {
      throw new SegcamError(ERROR_CODES.INVALID, `method.file: ${(e as Error).message} (GET /api/models lists the files there)`);
    }
  }

  /**
   * switchSource opens another source; on failure the current one keeps running. A source that
   * cannot be right is refused before the camera is asked: a bad spec or a folder that is not a
   * recording (INVALID), a recording that does not exist (NOT_FOUND), a missing file (SOURCE_FAILED).
   */
  async switchSource(text: string, caller: Caller): Promise<SourceStatus> {
    requireControl(caller, 'switch the source');
    let spec: SourceSpec;
    try {
      spec = parseSource(text);
    } catch (e) {
      throw new SegcamError(ERROR_CODES.INVALID, `source: ${(e as SourceSpecError).message}`);
    }
    if (spec.kind === 'recording') {
      const { dataDir } = this.options;
      if (!dataDir) throw new SegcamError(ERROR_CODES.INTERNAL, `source: ${spec.text}: this server cannot look recordings up (its control has no data folder)`);
      try {
        spec = resolveRecordingSource(spec, dataDir, this.camera.name);
      } catch (e) {
        if (!(e instanceof SourceSpecError)) throw e;
        throw new SegcamError(ERROR_CODES.NOT_FOUND, e.message);
      }
    }
    const problem = spec.kind === 'file' ? fileProblem(spec.path) : null;
    if (problem) throw new SegcamError(problem === 'not found' ? ERROR_CODES.SOURCE_FAILED : ERROR_CODES.INVALID, describeFileProblem(problem, text.trim()));
    const status = await this.camera.switchSource(spec);
    this.log.info(`camera ${this.camera.name}: source switched to ${redactSource(spec.text)} by ${who(caller)}`);
    return status;
  }

  /** pick proposes a range round a box of the newest original frame (any role may ask: it changes nothing). */
  async pick(box: Box): Promise<PickedMessage> {
    const method = this.settings.method;
    if (method.kind !== 'colour') throw new SegcamError(ERROR_CODES.INVALID, `a pick proposes a colour range; the method is ${method.kind} (switch it to colour ranges first)`);
    const space = method.space;
    const { lower, upper, samples } = await this.camera.pick(box, space);
    return { type: 'picked', range: { lower, upper }, space, samples };
  }

  /** setControls changes the camera controls (exposure, white balance, ...). */
  async setControls(controls: CameraControls, caller: Caller): Promise<ControlReport> {
    requireControl(caller, 'change camera controls');
    return this.camera.setControls(controls);
  }

  async listPresets(): Promise<PresetList> {
    const names = await this.camera.presets.list();
    const active = this.camera.presets.active;
    return { names, ...(active && names.includes(active) ? { active } : {}) };
  }

  async savePreset(name: string, caller: Caller): Promise<void> {
    requireControl(caller, 'save presets');
    await this.camera.presets.save(name, this.settings);
    await this.announce();
  }

  /** loadPreset makes a preset the current settings, for everyone. */
  async loadPreset(name: string, caller: Caller): Promise<Settings> {
    requireControl(caller, 'load presets');
    // the recipe only: the camera keeps its zones, transform and output
    const preset = await this.camera.presets.load(name);
    const result = this.camera.store.replace({ ...this.settings, ...recipeOf(preset) }, caller.id);
    if (!result.ok) throw result.error;
    await this.announce();
    return result.value;
  }

  /** importPreset stores a settings object under a name (it does not apply it). */
  async importPreset(name: string, settings: unknown, caller: Caller): Promise<void> {
    requireControl(caller, 'import presets');
    const checked = checkSettings(upgradeSettings(settings) as SettingsInput);
    if (!checked.ok) throw checked.error;
    await this.camera.presets.save(name, checked.value);
    await this.announce();
  }

  /** exportPreset is a preset's recipe, as it is stored. */
  async exportPreset(name: string): Promise<Recipe> {
    return recipeOf(await this.camera.presets.read(name));
  }

  async renamePreset(name: string, to: string, caller: Caller): Promise<void> {
    requireControl(caller, 'rename presets');
    await this.camera.presets.rename(name, to);
    await this.announce();
  }

  async deletePreset(name: string, caller: Caller): Promise<void> {
    requireControl(caller, 'delete presets');
    await this.camera.presets.remove(name);
    await this.announce();
  }

  private async announce(): Promise<void> {
    this.presetsChanged(await this.listPresets());
  }
}

/** requireControl refuses a caller with the view-only role. */
export function requireControl(caller: Caller, what: string): void {
  if (caller.role !== 'control') throw new SegcamError(ERROR_CODES.FORBIDDEN, `the view-only token may not ${what}`);
}

function who(caller: Caller): string {
  return caller.id ? `viewer ${caller.id}` : 'the HTTP API';
}
