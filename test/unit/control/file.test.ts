/**
 * Settings files: errors name the file, line and column; atomic writes leave the old or the new.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SettingsFileError, parseJsonText, writeFileAtomic } from '../../../server/control/file.js';
import { loadSettingsFile } from '../../../server/control/store.js';
import { removeTempDirs, tempDir } from '../../helpers/server.js';

afterAll(removeTempDirs);

describe('settings files', () => {
  it('a JSON error gives file:line:column and the reason', () => {
    expect(() => parseJsonText('/d/s.json', '{\n  "a": 1,,\n}')).toThrow(SettingsFileError);
    try {
      parseJsonText('/d/s.json', '{\n  "a": 1,,\n}');
    } catch (e) {
      expect((e as SettingsFileError).message).toMatch(/^\/d\/s\.json:2:\d+: not valid JSON \(/);
      expect((e as SettingsFileError).where).toMatch(/^:2:\d+$/);
    }
    expect(() => parseJsonText('/d/e.json', '')).toThrow(/^\/d\/e\.json:1: not valid JSON/);
  });

  it('a valid JSON file with an impossible setting names the line of the field', async () => {
    const dir = tempDir();
    const file = join(dir, 'settings.json');
    writeFileSync(
      file,
      '{\n  "space": "hsv",\n  "ranges": [],\n  "quality": 420,\n  "blur": 0, "open": 0, "close": 0, "minArea": 0,\n  "motion": {"mode": "off", "algorithm": "mog2", "history": 500, "learningRate": -1, "shadows": true}\n}\n',
    );
    await expect(loadSettingsFile(file)).rejects.toThrow(/settings\.json:4: output\.quality must be at most 100$/);
  });

  it('writeFileAtomic replaces a file in one step, with mode 0600', async () => {
    const dir = tempDir();
    const file = join(dir, 'x', 'a.json');
    await writeFileAtomic(file, 'one');
    await writeFileAtomic(file, 'two');
    expect(readFileSync(file, 'utf8')).toBe('two');
  });
});
