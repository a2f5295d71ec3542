/**
 * Presets and saved settings: save, list, load from another viewer (everyone follows), export
 * and import, rename and delete, restore after a restart, --preset at start, and a corrupt
 * preset that is reported and left alone.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PresetsMessage, SettingsMessage } from '../../shared/protocol.js';
import { removeTempDirs, startServer, tempDir } from '../helpers/server.js';
import { connectViewer } from '../helpers/viewer.js';
import { colourOf } from '../helpers/settings.js';

const BALL = { name: 'ball', color: '#ff8800', lower: [5, 120, 120] as [number, number, number], upper: [20, 255, 255] as [number, number, number] };

afterAll(removeTempDirs);

describe('presets', () => {
  it('saved by one viewer, loaded by another, followed by everyone; exported, imported, renamed, deleted', async () => {
    const s = await startServer({ args: ['--source', 'demo', '--width', '320', '--height', '240'] });
    const h = { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' };
    try {
      const a = await connectViewer(s);
      const b = await connectViewer(s);
      const c = await connectViewer(s);
      a.send({ type: 'set', settings: { ranges: [BALL], open: 3, minArea: 50 } });
      await a.next((m) => m.type === 'settings');
      a.send({ type: 'preset-save', name: 'ball' });
      const list = (await a.next((m) => m.type === 'presets' && m.names.includes('ball'))) as PresetsMessage;
      expect(list).toMatchObject({ names: ['ball'], active: 'ball' });
      // change the live settings, then b loads the preset: a and c follow
      const mc = c.mark();
      a.send({ type: 'set', settings: { ranges: [], open: 0 } });
      await c.next((m) => m.type === 'settings' && colourOf((m as SettingsMessage).settings).ranges.length === 0, 10_000, mc);
      const marks = [a.mark(), c.mark()];
      b.send({ type: 'preset-load', name: 'ball' });
      for (const [i, v] of [a, c].entries()) {
        const m = (await v.next((x) => x.type === 'settings' && colourOf((x as SettingsMessage).settings).ranges.length === 1, 10_000, marks[i])) as SettingsMessage;
        expect(m.settings).toMatchObject({ method: { ranges: [BALL] }, open: 3, minArea: 50 });
        expect(m.by).toBeGreaterThan(0);
      }
      // export over HTTP, import under another name, load it
      const exported = await (await fetch(`${s.base}/api/presets/ball`, { headers: h })).json();
      expect(exported.method.ranges).toEqual([BALL]);
      expect(exported.output).toBeUndefined(); // a preset is the recipe: not the output, zones or transform
      exported.method.ranges[0].name = 'tape';
      const imp = await fetch(`${s.base}/api/presets/tape`, { method: 'PUT', headers: h, body: JSON.stringify(exported) });
      expect(imp.status).toBe(201);
      expect((await imp.json()).names).toEqual(['ball', 'tape']);
      const bad = await fetch(`${s.base}/api/presets/bad`, { method: 'PUT', headers: h, body: JSON.stringify({ ...exported, quality: 0 }) });
      expect(bad.status).toBe(400);
      const ma = a.mark();
      const load = await fetch(`${s.base}/api/presets/tape/load`, { method: 'POST', headers: h });
      expect((await load.json()).settings.method.ranges[0].name).toBe('tape');
      await a.next((m) => m.type === 'settings' && colourOf((m as SettingsMessage).settings).ranges[0]?.name === 'tape', 10_000, ma);
      // rename and delete
      a.send({ type: 'preset-rename', name: 'tape', to: 'tape-blue' });
      await a.next((m) => m.type === 'presets' && m.names.includes('tape-blue'));
      a.send({ type: 'preset-rename', name: 'tape-blue', to: 'ball' });
      expect(await a.next((m) => m.type === 'error')).toMatchObject({ code: 'CONFLICT' });
      a.send({ type: 'preset-delete', name: 'tape-blue' });
      const after = (await a.next((m) => m.type === 'presets' && !m.names.includes('tape-blue'))) as PresetsMessage;
      expect(after.names).toEqual(['ball']);
      a.send({ type: 'preset-load', name: 'nope' });
      expect(await a.next((m) => m.type === 'error' && m.ref === 'preset-load')).toMatchObject({ code: 'NOT_FOUND', message: 'no preset named "nope"' });
    } finally {
      await s.stop();
    }
  });

  it('restores the last settings after a restart, and --preset loads one at start', async () => {
    const s = await startServer({ args: ['--source', 'demo'], dataDir: tempDir() });
    const h = { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' };
    await fetch(`${s.base}/api/settings`, { method: 'PATCH', headers: h, body: JSON.stringify({ ranges: [BALL], blur: 3 }) });
    await fetch(`${s.base}/api/presets/keep/save`, { method: 'POST', headers: h });
    await fetch(`${s.base}/api/settings`, { method: 'PATCH', headers: h, body: JSON.stringify({ blur: 5, quality: 62 }) });
    await s.stop();
    const again = await startServer({ args: ['--source', 'demo'], dataDir: s.dataDir });
    const got = await (await fetch(`${again.base}/api/settings`, { headers: h })).json();
    expect(got.settings).toMatchObject({ blur: 5, output: { quality: 62 }, method: { ranges: [BALL] } });
    await again.stop();
    const withPreset = await startServer({ args: ['--source', 'demo', '--preset', 'keep'], dataDir: s.dataDir });
    expect((await (await fetch(`${withPreset.base}/api/settings`, { headers: h })).json()).settings).toMatchObject({ blur: 3, output: { quality: 62 } }); // the preset's recipe, the camera's output
    await withPreset.stop();
    const { runCli } = await import('../helpers/server.js');
    const missing = await runCli(['--source', 'demo', '--no-auth', '--port', '0', '--data-dir', s.dataDir, '--preset', 'nope']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^segcam: --preset: camera main has no preset named "nope" \(in .*\/cameras\/main\/presets\)\.$/m);
  });

  it('a corrupt preset file is reported with its name and line, and left untouched', async () => {
    const s = await startServer({ args: ['--source', 'demo'] });
    const h = { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' };
    try {
      await fetch(`${s.base}/api/presets/broken/save`, { method: 'POST', headers: h });
      const file = join(s.dataDir, 'cameras', 'main', 'presets', 'broken.json');
      const text = readFileSync(file, 'utf8').replace('"space": "hsv",', '"space": "hsv"');
      writeFileSync(file, text);
      const v = await connectViewer(s);
      v.send({ type: 'preset-load', name: 'broken' });
      const err = await v.next((m) => m.type === 'error');
      expect(err).toMatchObject({ code: 'INVALID', ref: 'preset-load' });
      if (err.type === 'error') expect(err.message).toMatch(/^preset "broken" is broken \(broken\.json:\d+:\d+: not valid JSON/);
      if (err.type === 'error') expect(err.message).not.toContain(s.dataDir); // the server's folders are not the client's business
      expect(readFileSync(file, 'utf8')).toBe(text);
      const live = await (await fetch(`${s.base}/api/settings`, { headers: h })).json();
      expect(live.settings.method.space).toBe('hsv'); // nothing changed
    } finally {
      await s.stop();
    }
  });
});
