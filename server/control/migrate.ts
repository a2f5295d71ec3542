/**
 * The data folder's layout, and the move from the one-camera layout of earlier versions:
 *
 *   DATA_DIR/token                      the control token (0600), made once
 *   DATA_DIR/cameras/NAME/settings.json the camera's last active settings
 *   DATA_DIR/cameras/NAME/presets/      its presets
 *
 * An existing `DATA_DIR/settings.json` and `DATA_DIR/presets/` are moved, on the first start
 * that finds them, into the folder of the camera that took their place (`main`, or the first
 * camera configured). Nothing is overwritten: if that camera already has its own, the old files
 * stay where they are and a warning says so.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { syncDir } from './file.js';
import { SETTINGS_FILE } from './store.js';

/** cameraDir is where a camera keeps its settings and presets. */
export function cameraDir(dataDir: string, name: string): string {
  return join(dataDir, 'cameras', name);
}

/** migrateDataDir moves a one-camera data folder's files to `camera`'s folder; returns what it moved. */
export async function migrateDataDir(dataDir: string, camera: string, log: Logger): Promise<string[]> {
  const target = cameraDir(dataDir, camera);
  const moved: string[] = [];
  for (const name of [SETTINGS_FILE, 'presets']) {
    const from = join(dataDir, name);
    if (!existsSync(from)) continue;
    const to = join(target, name);
    if (existsSync(to)) {
      log.warn(`${from} is from an earlier version, but camera ${camera} already has ${to}: left both as they are`);
      continue;
    }
    await mkdir(target, { recursive: true, mode: 0o700 });
    await rename(from, to);
    moved.push(name);
  }
  if (moved.length) {
    await syncDir(dataDir);
    log.info(`moved ${moved.join(' and ')} from ${dataDir} to ${target} (one folder per camera now)`);
  }
  return moved;
}
