/**
 * The move from a one-camera data folder to the per-camera layout: nothing lost, nothing overwritten.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrateDataDir } from '../../../server/control/migrate.js';
import { createLogger } from '../../../server/log.js';
import { removeTempDirs, tempDir } from '../../helpers/server.js';

afterAll(removeTempDirs);

describe('migrateDataDir', () => {
  it("moves settings.json and presets/ into the camera's folder", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'settings.json'), '{"quality": 42}');
    mkdirSync(join(dir, 'presets'));
    writeFileSync(join(dir, 'presets', 'ball.json'), '{}');
    const lines: string[] = [];
    expect(
      await migrateDataDir(
        dir,
        'main',
        createLogger(false, (l) => lines.push(l)),
      ),
    ).toEqual(['settings.json', 'presets']);
    expect(readFileSync(join(dir, 'cameras', 'main', 'settings.json'), 'utf8')).toBe('{"quality": 42}');
    expect(existsSync(join(dir, 'cameras', 'main', 'presets', 'ball.json'))).toBe(true);
    expect(existsSync(join(dir, 'settings.json'))).toBe(false);
    expect(lines.join('\n')).toMatch(/moved settings\.json and presets/);
    expect(await migrateDataDir(dir, 'main', createLogger(true))).toEqual([]); // once
  });

  it('never overwrites what the camera already has', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'settings.json'), 'old');
    mkdirSync(join(dir, 'cameras', 'main'), { recursive: true });
    writeFileSync(join(dir, 'cameras', 'main', 'settings.json'), 'new');
    const lines: string[] = [];
    expect(
      await migrateDataDir(
        dir,
        'main',
        createLogger(false, (l) => lines.push(l)),
      ),
    ).toEqual([]);
    expect(readFileSync(join(dir, 'settings.json'), 'utf8')).toBe('old');
    expect(readFileSync(join(dir, 'cameras', 'main', 'settings.json'), 'utf8')).toBe('new');
    expect(lines.join('\n')).toMatch(/left both as they are/);
  });
});
