/**
 * The settings store: validated changes with a revision, no change for a change that changes
 * nothing, and saves coalesced so that a burst costs a few writes and the newest always lands.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SettingsStore, loadSettingsFile } from '../../../server/control/store.js';
import { createLogger } from '../../../server/log.js';
import { DEFAULT_SETTINGS } from '../../../shared/settings.js';
import { removeTempDirs, tempDir } from '../../helpers/server.js';

afterAll(removeTempDirs);
const log = createLogger(true, () => undefined);

describe('SettingsStore', () => {
  it('a change bumps the revision and is told; a change that changes nothing is not', () => {
    const store = new SettingsStore(DEFAULT_SETTINGS, null, log);
    const seen: number[] = [];
    store.on('change', (c) => seen.push(c.revision));
    expect(store.update({ quality: 50 }, 0).ok).toBe(true);
    expect(store.update({ quality: 50 }, 0).ok).toBe(true); // accepted, but nothing to tell
    expect(store.update({ method: DEFAULT_SETTINGS.method }, 0).ok).toBe(true);
    expect(store.revision).toBe(2);
    expect(seen).toEqual([2]);
    const bad = store.update({ quality: 0 }, 0);
    expect(bad.ok).toBe(false);
    expect(store.current.output.quality).toBe(50);
  });

  it('saves a burst of changes in a few writes, the newest last', async () => {
    const dir = tempDir();
    const store = new SettingsStore(DEFAULT_SETTINGS, dir, log);
    for (let q = 1; q <= 100; q++) store.update({ quality: q }, 0);
    await store.flush();
    expect(JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')).output.quality).toBe(100);
    expect((await loadSettingsFile(join(dir, 'settings.json')))!.output.quality).toBe(100);
  });
});
