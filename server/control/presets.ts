/**
 * A camera's presets: whole segmentation configurations saved under a name, one JSON file each
 * in `<camera folder>/presets/`, written atomically. Operations run one at a time (two renames
 * onto one name cannot both succeed), a rename never replaces an existing preset (a hard link
 * that fails if the name is taken, then the old name's unlink), the number of presets is
 * capped, and names are checked by the shared schema, so a name can never leave the folder.
 */
import { link, mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ERROR_CODES, SegcamError, presetNameSchema } from '../../shared/protocol.js';
import { recipeOf, type Settings } from '../../shared/settings.js';
import { SettingsFileError, removeStaleTemps, syncDir, writeFileAtomic } from './file.js';
import { loadSettingsFile } from './store.js';

/** MAX_PRESETS is the most presets a camera keeps. */
export const MAX_PRESETS = 200;

/** PresetStore lists, saves, loads, renames and deletes presets. */
export class PresetStore {
  readonly dir: string;
  /** the preset last saved or loaded */
  active: string | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(cameraDir: string) {
    this.dir = join(cameraDir, 'presets');
  }

  /** open removes what interrupted saves left behind. */
  async open(): Promise<void> {
    await removeStaleTemps(this.dir);
  }

  /** serial runs operations one after another, in the order they were asked for. */
  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => undefined);
    return run;
  }

  list(): Promise<string[]> {
    return this.serial(() => this.names());
  }

  private async names(): Promise<string[]> {
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

  save(name: string, settings: Settings): Promise<void> {
    return this.serial(async () => {
      const path = this.path(name);
      const names = await this.names();
      if (!names.includes(name) && names.length >= MAX_PRESETS) {
        throw new SegcamError(ERROR_CODES.TOO_MANY, `there are ${names.length} presets, the most a camera keeps; delete some first`);
      }
      // a preset is the segmentation recipe: not the camera's zones, transform or output
      await writeFileAtomic(path, `${JSON.stringify(recipeOf(settings), null, 2)}\n`);
      this.active = name;
    });
  }

  /** load reads a preset and marks it active. */
  load(name: string): Promise<Settings> {
    return this.serial(async () => {
      const settings = await this.readNow(name);
      this.active = name;
      return settings;
    });
  }

  /** read reads a preset; a broken file is a clear error naming the preset (not the server's folders), and is left untouched. */
  read(name: string): Promise<Settings> {
    return this.serial(() => this.readNow(name));
  }

  private async readNow(name: string): Promise<Settings> {
    let settings: Settings | null;
    try {
      settings = await loadSettingsFile(this.path(name));
    } catch (e) {
      if (e instanceof SettingsFileError) throw new SegcamError(ERROR_CODES.INVALID, `preset "${name}" is broken (${name}.json${e.where}: ${e.reason})`);
      throw e;
    }
    if (!settings) throw new SegcamError(ERROR_CODES.NOT_FOUND, `no preset named "${name}"`);
    return settings;
  }

  rename(name: string, to: string): Promise<void> {
    return this.serial(async () => {
      const from = this.path(name);
      const dest = this.path(to);
      if (name === to) return;
      await mkdir(this.dir, { recursive: true });
      try {
        await link(from, dest); // fails if `to` exists: never replaces a preset
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') throw new SegcamError(ERROR_CODES.CONFLICT, `a preset named "${to}" already exists`);
        if (code === 'ENOENT') throw new SegcamError(ERROR_CODES.NOT_FOUND, `no preset named "${name}"`);
        throw e;
      }
      await unlink(from);
      await syncDir(this.dir);
      if (this.active === name) this.active = to;
    });
  }

  remove(name: string): Promise<void> {
    return this.serial(async () => {
      try {
        await unlink(this.path(name));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new SegcamError(ERROR_CODES.NOT_FOUND, `no preset named "${name}"`);
        throw e;
      }
      if (this.active === name) this.active = null;
    });
  }

  private path(name: string): string {
    const checked = presetNameSchema.safeParse(name);
    if (!checked.success) throw new SegcamError(ERROR_CODES.INVALID, `preset name ${checked.error.issues[0]?.message}`);
    return join(this.dir, `${name}.json`);
  }
}
