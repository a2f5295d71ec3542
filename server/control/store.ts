/**
 * A camera's settings store: the one current Settings object, its revision, validated updates,
 * and its file (the last active settings, restored after a restart). A change that changes
 * nothing is not a change (no revision, no broadcast). Saves are serialized and coalesced: a
 * burst of changes costs one write per save cycle, and the newest always lands.
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { applySettingsPatch, checkSettings, sameSettings, upgradeSettings, type Checked, type SettingsInput, type SettingsPatch } from '../../shared/protocol.js';
import { cloneSettings, type Settings } from '../../shared/settings.js';
import type { Logger } from '../log.js';
import { SettingsFileError, lineOf, parseJsonText, readTextFile, writeFileAtomic } from './file.js';

/** SETTINGS_FILE is the name of the last active settings in a camera's folder. */
export const SETTINGS_FILE = 'settings.json';

/** Change is one accepted change of the settings. */
export interface Change {
  settings: Settings;
  revision: number;
  /** viewer id that made it; 0 = server or HTTP API */
  by: number;
  /** the client's id for the `set`, echoed */
  id?: number;
}

/** loadSettingsFile reads and validates a settings file; null if absent; SettingsFileError if broken. */
export async function loadSettingsFile(path: string): Promise<Settings | null> {
  const text = await readTextFile(path);
  if (text === null) return null;
  // files of earlier versions (space, ranges and quality at the top) load as the colour method
  const data = upgradeSettings(parseJsonText(path, text));
  const checked = checkSettings(data as SettingsInput);
  if (!checked.ok) {
    // the field the message names: its path's last part that is a name ("settings.motion.mode" → "mode")
    const field = /^[\w.]+/.exec(checked.error.message)?.[0] ?? '';
    const key = field
      .split('.')
      .filter((p) => p && p !== 'settings' && !/^\d+$/.test(p))
      .pop();
    const line = lineOf(text, key);
    throw new SettingsFileError(path, line ? `:${line}` : '', checked.error.message);
  }
  return checked.value;
}

/** SettingsStore holds one camera's settings. Event `change` follows every accepted change. */
export class SettingsStore extends EventEmitter<{ change: [Change] }> {
  private value: Settings;
  private rev = 1;
  private saving: Promise<void> | null = null;
  private dirty = false;
  readonly file: string | null;

  constructor(
    initial: Settings,
    dir: string | null,
    private readonly log: Logger,
  ) {
    super();
    this.value = cloneSettings(initial);
    this.file = dir ? join(dir, SETTINGS_FILE) : null;
  }

  get current(): Settings {
    return this.value;
  }

  get revision(): number {
    return this.rev;
  }

  /** update validates a patch against the current settings and applies it, or changes nothing. */
  update(patch: SettingsPatch, by: number, id?: number): Checked<Settings> {
    const checked = applySettingsPatch(this.value, patch);
    if (checked.ok) this.commit(checked.value, by, id);
    return checked;
  }

  /** replace swaps in a whole, validated settings object (e.g. a preset). */
  replace(settings: Settings, by: number): Checked<Settings> {
    const checked = checkSettings(settings);
    if (checked.ok) this.commit(cloneSettings(checked.value), by);
    return checked;
  }

  /** flush resolves when every change so far is on disk. */
  async flush(): Promise<void> {
    while (this.saving) await this.saving;
  }

  private commit(settings: Settings, by: number, id?: number): void {
    if (sameSettings(settings, this.value)) return; // nothing changed: no revision, nobody told
    this.value = settings;
    this.rev++;
    this.emit('change', { settings, revision: this.rev, by, ...(id !== undefined ? { id } : {}) });
    this.scheduleSave();
  }

  private scheduleSave(): void {
    if (!this.file) return;
    this.dirty = true;
    if (this.saving) return;
    const file = this.file;
    this.saving = (async () => {
      while (this.dirty) {
        this.dirty = false;
        try {
          await writeFileAtomic(file, `${JSON.stringify(this.value, null, 2)}\n`);
        } catch (e) {
          this.log.error(`cannot save settings to ${file}: ${(e as Error).message}`);
        }
      }
      this.saving = null;
    })();
  }
}
