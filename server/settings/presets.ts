/**
 * Presets: whole segmentation configurations saved under a name, one JSON file each in
 * `<data-dir>/presets/`, written atomically. Names are validated by the shared schema (letters,
 * digits, space, dot, dash, underscore), so a name can never leave the directory.
 */
import { readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ERROR_CODES, SegcamError, presetNameSchema } from '../../shared/protocol.js';
import type { Settings } from '../../shared/settings.js';
import { writeFileAtomic } from './file.js';
import { loadSettingsFile } from './store.js';

/** PresetStore lists, saves, loads, renames and deletes presets. */
export class PresetStore {
  readonly dir: string;
  /** the preset last saved or loaded */
  active: string | null = null;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'presets');
  }

  async list(): Promise<string[]> {
    try {
      return (await readdir(this.dir))
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.slice(0, -5))
        .filter((n) => presetNameSchema.safeParse(n).success)
        .sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  async save(name: string, settings: Settings): Promise<void> {
    await writeFileAtomic(this.path(name), JSON.stringify(settings, null, 2) + '\n');
    this.active = name;
  }

  /** load reads a preset and marks it active. */
  async load(name: string): Promise<Settings> {
    const settings = await this.read(name);
    this.active = name;
    return settings;
  }

  /** read reads a preset; a broken file is a clear error naming it, and is left untouched. */
  async read(name: string): Promise<Settings> {
    let settings: Settings | null;
    try {
      settings = await loadSettingsFile(this.path(name));
    } catch (e) {
      throw new SegcamError(ERROR_CODES.INVALID, (e as Error).message);
    }
    if (!settings) throw new SegcamError(ERROR_CODES.NOT_FOUND, `no preset named "${name}"`);
    return settings;
  }

  async rename(name: string, to: string): Promise<void> {
    if ((await this.list()).includes(to)) throw new SegcamError(ERROR_CODES.CONFLICT, `a preset named "${to}" already exists`);
    try {
      await rename(this.path(name), this.path(to));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new SegcamError(ERROR_CODES.NOT_FOUND, `no preset named "${name}"`);
      throw e;
    }
    if (this.active === name) this.active = to;
  }

  async remove(name: string): Promise<void> {
    try {
      await unlink(this.path(name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new SegcamError(ERROR_CODES.NOT_FOUND, `no preset named "${name}"`);
      throw e;
    }
    if (this.active === name) this.active = null;
  }

  private path(name: string): string {
    const checked = presetNameSchema.safeParse(name);
    if (!checked.success) throw new SegcamError(ERROR_CODES.INVALID, `preset name: ${checked.error.issues[0]?.message}`);
    return join(this.dir, `${name}.json`);
  }
}
