/**
 * Presets: two renames onto one name cannot both succeed, the number is capped, names are file
 * names that stay in their folder, and interrupted saves leave nothing behind after a restart.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_PRESETS, PresetStore } from '../../../server/control/presets.js';
import { DEFAULT_SETTINGS } from '../../../shared/settings.js';
import { removeTempDirs, tempDir } from '../../helpers/server.js';

afterAll(removeTempDirs);

describe('PresetStore', () => {
  it('two concurrent renames onto one name: one succeeds, the other is a conflict, no preset is lost', async () => {
    const store = new PresetStore(tempDir());
    await store.save('a', { ...DEFAULT_SETTINGS, blur: 11 });
    await store.save('b', { ...DEFAULT_SETTINGS, blur: 21 });
    const results = await Promise.allSettled([store.rename('a', 'c'), store.rename('b', 'c')]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ code: 'CONFLICT' });
    const names = await store.list();
    expect(names).toHaveLength(2);
    const qualities = await Promise.all(names.map(async (n) => (await store.read(n)).blur));
    expect(qualities.sort((a, b) => a - b)).toEqual([11, 21]);
  });

  it('a rename never replaces an existing preset, and a missing one is NOT_FOUND', async () => {
    const store = new PresetStore(tempDir());
    await store.save('x', DEFAULT_SETTINGS);
    await store.save('y', DEFAULT_SETTINGS);
    await expect(store.rename('x', 'y')).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(store.rename('nope', 'z')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(store.remove('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it(`keeps at most ${MAX_PRESETS} presets (saving over an existing one is always allowed)`, async () => {
    const dir = tempDir();
    const store = new PresetStore(dir);
    mkdirSync(join(dir, 'presets'), { recursive: true });
    for (let i = 0; i < MAX_PRESETS; i++) writeFileSync(join(dir, 'presets', `p${i}.json`), JSON.stringify(DEFAULT_SETTINGS));
    await expect(store.save('one-more', DEFAULT_SETTINGS)).rejects.toMatchObject({ code: 'TOO_MANY' });
    await expect(store.save('p3', { ...DEFAULT_SETTINGS, blur: 3 })).resolves.toBeUndefined();
  });

  it('names that are not plain file names are refused; `..` is not stored as `...json`', async () => {
    const dir = tempDir();
    const store = new PresetStore(dir);
    for (const bad of ['..', '.', '.hidden', 'a/b', '../x', 'trailing.', 'x'.repeat(65)])
      await expect(store.save(bad, DEFAULT_SETTINGS), bad).rejects.toMatchObject({ code: 'INVALID' });
    expect(existsSync(join(dir, 'presets'))).toBe(false);
  });

  it('open removes the temporary files interrupted saves left behind', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'presets'), { recursive: true });
    writeFileSync(join(dir, 'presets', 'ball.json.0a1b2c3d.tmp'), '{"half');
    writeFileSync(join(dir, 'presets', 'ball.json'), JSON.stringify(DEFAULT_SETTINGS));
    const store = new PresetStore(dir);
    await store.open();
    expect(readdirSync(join(dir, 'presets'))).toEqual(['ball.json']);
    expect(await store.list()).toEqual(['ball']);
  });

  it('a broken preset names itself and its line, not the server folder', async () => {
    const dir = tempDir();
    const store = new PresetStore(dir);
    mkdirSync(join(dir, 'presets'), { recursive: true });
    writeFileSync(join(dir, 'presets', 'bad.json'), '{\n  "space": "hsv"\n  "ranges": []\n}\n');
    const err = await store.read('bad').catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'INVALID', message: expect.stringMatching(/^preset "bad" is broken \(bad\.json:3:\d+: not valid JSON/) });
    expect((err as Error).message).not.toContain(dir);
  });
});
