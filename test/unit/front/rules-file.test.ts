/**
 * A camera's rules at start: the config file's replace the saved ones, else the saved ones load,
 * and a saved file that cannot be used stops the start with file: reason (never overwritten).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRules } from '../../../shared/rules.js';
import { parseConfig, type CameraConfig } from '../../../server/config/config.js';
import { SettingsFileError } from '../../../server/control/file.js';
import { loadRules, RULES_FILE } from '../../../server/front/outputs.js';
import type { Logger } from '../../../server/log.js';
import { removeTempDirs, tempDir } from '../../helpers/server.js';

afterAll(removeTempDirs);

const lines: string[] = [];
const log: Logger = { info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
const camera = (rules: CameraConfig['rules']): CameraConfig => {
  const c = parseConfig(['--source', 'demo'], {});
  if (!('run' in c)) throw new Error('not a run');
  return { ...c.run.cameras[0]!, rules };
};
const rules = (input: unknown) => {
  const c = checkRules(input);
  if (!c.ok) throw c.error;
  return c.value;
};

describe('loadRules', () => {
  it('loads none without a file, the saved ones, or the config file’s over them', async () => {
    const dir = tempDir();
    expect(await loadRules(camera(null), dir, log)).toEqual([]);
    const saved = rules([{ name: 'saved', op: 'present' }]);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, RULES_FILE), JSON.stringify({ version: 1, rules: saved }));
    expect(await loadRules(camera(null), dir, log)).toEqual(saved);
    const given = rules({ fromfile: { op: 'absent' } });
    expect(await loadRules(camera(given), dir, log)).toEqual(given);
    expect(lines.some((l) => /rules are the config file's/.test(l))).toBe(true);
  });

  it('refuses a broken or impossible saved file with its path and why', async () => {
    const dir = tempDir();
    const path = join(dir, RULES_FILE);
    writeFileSync(path, '{"version": 1, "rules": [');
    await expect(loadRules(camera(null), dir, log)).rejects.toThrow(SettingsFileError);
    await expect(loadRules(camera(null), dir, log)).rejects.toThrow(/rules\.json(:\d+:\d+)?: not valid JSON/);
    writeFileSync(path, JSON.stringify({ version: 1, rules: [{ name: 'x', op: 'above', value: 500 }] }));
    await expect(loadRules(camera(null), dir, log)).rejects.toThrow(/must be at most 100/);
    writeFileSync(path, JSON.stringify({ rules: [] }));
    await expect(loadRules(camera(null), dir, log)).rejects.toThrow(/not a rules file of version 1/);
  });
});
