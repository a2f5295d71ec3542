/**
 * The viewer's segmentation methods, targets, zones and input transform, in real Chromium
 * against the real server and its demo scene: switching method live (the picture answers, a
 * second page follows, one undo step), the threshold histogram with its level, the cluster
 * swatches whose checkboxes change the mask, targets listed and drawn as rotated boxes, zones
 * drawn on the picture, the crosshair set by a click, a flip that mirrors the picture, and all of
 * it off for a view-only page.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METHOD_DEFAULTS } from '../../shared/methods.js';
import type { Settings } from '../../shared/settings.js';
import { launchBrowser, openViewer, waitFrames } from '../helpers/browser.js';
import { jsonHeaders, startServer, type ServerHandle } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const VIEW_TOKEN = 'view-only-token-methods-7';
const RED = { name: 'red', color: '#ff3b30', lower: [170, 100, 80], upper: [10, 255, 255] };
const GREEN = { name: 'green', color: '#34c759', lower: [45, 120, 100], upper: [70, 255, 255] };
let browser: Browser;
let s: ServerHandle;

beforeAll(async () => {
  browser = await launchBrowser();
  s = await startServer({ args: ['--source', 'demo', '--width', '640', '--height', '480', '--fps', '30', '--view-token', VIEW_TOKEN] });
});
afterAll(async () => {
  await browser?.close();
  await s?.stop();
});

const patch = async (body: object): Promise<void> => {
  const res = await fetch(`${s.base}/api/settings`, { method: 'PATCH', headers: jsonHeaders(s), body: JSON.stringify(body) });
  expect(res.status).toBe(200);
};
const settingsNow = async (): Promise<Settings> => ((await (await fetch(`${s.base}/api/settings`, { headers: jsonHeaders(s) })).json()) as { settings: Settings }).settings;

/** reset puts the camera back to one red range, no zones, no transform, the crosshair in the middle. */
async function reset(ranges: object[] = [RED]): Promise<void> {
  await patch({
    method: { kind: 'colour', space: 'hsv', ranges },
    zones: [],
    transform: { flip: 'none', rotate: 0, crop: null, analysisWidth: null },
    targets: { sort: 'largest', max: 5, crosshair: { x: 0.5, y: 0.5 } },
    blobs: true,
    minArea: 0,
  });
}

/** viewer opens a page on a view and waits until it shows frames of the current settings. */
async function viewer(view: 'masked' | 'mask' | 'original' | 'side' = 'masked', token?: string): Promise<Page> {
  const page = await openViewer(browser, s, token ? { token } : {});
  await page.waitForFunction(() => document.body.dataset.ready === '1');
  await page.click(`#views button[data-view="${view}"]`);
  await waitFrames(page, 3);
  await current(page);
  return page;
}

/** current waits until the page shows a frame made with the camera's newest settings (their revision, asked of the API), in its chosen view. */
async function current(page: Page, timeout = 10_000): Promise<unknown> {
  const { revision } = (await (await fetch(`${s.base}/api/settings`, { headers: jsonHeaders(s) })).json()) as { revision: number };
  return page.waitForFunction(
    (revision) => {
      const f = window.segcam.view.current;
      return f !== null && !f.placeholder && f.view === window.segcam.connection.view && f.rev >= revision;
    },
    revision,
    { timeout },
  );
}

/** lit is the fraction of the picture's canvas pixels brighter than `level` (the sum of R, G and B). */
function lit(page: Page, level = 60): Promise<number> {
  return page.evaluate((level) => {
    const c = document.getElementById('picture') as HTMLCanvasElement;
    const r = window.segcam.view.imageRect()!;
    const dpr = window.devicePixelRatio;
    const d = c.getContext('2d')!.getImageData(Math.round(r.x * dpr), Math.round(r.y * dpr), Math.round(r.w * dpr), Math.round(r.h * dpr)).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i]! + d[i + 1]! + d[i + 2]! > level) n++;
    return n / (d.length / 4);
  }, level);
}

/** waitLit polls the picture until `pred` holds of its lit fraction (the display may lag the analysis by a frame). */
async function waitLit(page: Page, pred: (l: number) => boolean, level = 60, timeoutMs = 5000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let l = await lit(page, level);
  while (!pred(l) && Date.now() < deadline) {
    await page.waitForTimeout(100);
    l = await lit(page, level);
  }
  return l;
}

/** point is where a point of the picture (fractions; the left half of side by side) is on the page. */
function point(page: Page, fx: number, fy: number): Promise<{ x: number; y: number }> {
  return page.evaluate(
    ([fx, fy]) => {
      const c = document.getElementById('picture')!.getBoundingClientRect();
      const r = window.segcam.view.imageRect()!;
      const halves = window.segcam.view.current?.view === 'side' ? 2 : 1;
      return { x: c.left + r.x + (fx! * r.w) / halves, y: c.top + r.y + fy! * r.h };
    },
    [fx, fy],
  );
}

async function clickPicture(page: Page, fx: number, fy: number, o: { shift?: boolean; double?: boolean } = {}): Promise<void> {
  const p = await point(page, fx, fy);
  if (o.shift) await page.keyboard.down('Shift');
  if (o.double) await page.mouse.dblclick(p.x, p.y);
  else await page.mouse.click(p.x, p.y);
  if (o.shift) await page.keyboard.up('Shift');
}

describe('segmentation methods in the viewer', () => {
  it('switching method live changes the picture, a second page follows with its panel, and it is one undo step', async () => {
    await reset();
    const a = await viewer('masked');
    const b = await viewer('masked');
    const before = await lit(a);
    expect(before).toBeLessThan(0.08); // the red disc only
    await a.selectOption('#method', 'edges');
    await a.waitForFunction(() => window.segcam.view.current?.analysis?.method === 'edges', null, { timeout: 10_000 });
    await current(a);
    expect(await waitLit(a, (l) => l > before + 0.05)).toBeGreaterThan(before + 0.05); // the edges of the textured background show
    expect(await a.isVisible('#method-panel .method[data-kind="edges"]')).toBe(true);
    // the server filled in the kind's defaults
    expect((await settingsNow()).method).toEqual(METHOD_DEFAULTS.edges);
    // the other page follows: same method, its panel, its frames
    await b.waitForFunction(
      () => (document.getElementById('method') as HTMLSelectElement).value === 'edges' && document.querySelector('#method-panel .method[data-kind="edges"]') !== null,
      null,
      { timeout: 5000 },
    );
    expect(await b.locator('#range-list').count()).toBe(0);
    await b.waitForFunction(() => window.segcam.view.current?.analysis?.method === 'edges', null, { timeout: 10_000 });
    expect(await b.textContent('#toast')).toMatch(/changed by viewer/);
    expect(await b.inputValue('#edges-high-n')).toBe('150');
    // picking a colour is for the colour method: a click says so and changes nothing
    await clickPicture(a, 0.5, 0.5);
    await a.waitForFunction(() => /colour method/.test(document.getElementById('toast')!.textContent ?? ''));
    expect((await settingsNow()).method.kind).toBe('edges');
    // one undo step: the colour method comes back as it was, everywhere; redo makes it edges again
    await a.click('#undo');
    await b.waitForFunction(() => document.querySelector('#range-list fieldset') !== null && window.segcam.controls.current?.method.kind === 'colour', null, { timeout: 5000 });
    expect((await settingsNow()).method).toMatchObject({ kind: 'colour', space: 'hsv', ranges: [RED] });
    await a.click('#redo');
    await waitFor(async () => (await settingsNow()).method.kind === 'edges', 5000, 'redo');
    await b.waitForSelector('#edges-fill');
    // a control of the method's panel, from the other page
    await b.check('#edges-fill');
    await a.waitForFunction(() => (document.getElementById('edges-fill') as HTMLInputElement).checked, null, { timeout: 5000 });
    expect((await settingsNow()).method).toMatchObject({ kind: 'edges', fill: true, low: 50 });
    await a.close();
    await b.close();
  });

  it('the threshold histogram is drawn with the level on it: Otsu\u2019s per frame, or the fixed value', async () => {
    await reset();
    const page = await viewer('masked');
    await page.selectOption('#method', 'threshold');
    await page.waitForFunction(() => {
      const i = window.segcam.view.current?.analysis?.info;
      return i?.otsuLevel !== undefined && i.histogram?.length === 256;
    });
    const drawing = (): Promise<{ level: number | null; frameLevel: number | undefined; bins: number; yellow: number; bars: number; label: string | null }> =>
      page.evaluate(() => {
        const panel = window.segcam.controls.methodPanel as unknown as { histogram: { drawn: { bins: number; level: number | null; levelX: number | null } } };
        const c = document.getElementById('threshold-histogram') as HTMLCanvasElement;
        const ctx = c.getContext('2d')!;
        const dpr = window.devicePixelRatio;
        const drawn = panel.histogram.drawn;
        let yellow = 0;
        if (drawn.levelX !== null) {
          const col = ctx.getImageData(Math.round(drawn.levelX * dpr), 0, 1, c.height).data;
          for (let i = 0; i < col.length; i += 4) if (col[i]! > 200 && col[i + 1]! > 160 && col[i + 2]! < 80) yellow++;
        }
        // bars: pixels of the bottom row that are not the background
        const row = ctx.getImageData(0, c.height - 1, c.width, 1).data;
        let bars = 0;
        for (let i = 0; i < row.length; i += 4) if (row[i]! + row[i + 1]! + row[i + 2]! > 150) bars++;
        const f = window.segcam.view.current!;
        return {
          level: drawn.level,
          frameLevel: f.analysis?.info?.otsuLevel,
          bins: drawn.bins,
          yellow: yellow / c.height,
          bars: bars / c.width,
          label: c.getAttribute('aria-label'),
        };
      });
    await page.waitForFunction(() => (window.segcam.controls.methodPanel as unknown as { histogram: { drawn: { bins: number } } }).histogram.drawn.bins === 256);
    const otsu = await drawing();
    expect(otsu.bins).toBe(256);
    expect(otsu.level).toBe(otsu.frameLevel); // the level Otsu chose for the frame shown
    expect(otsu.yellow).toBeGreaterThan(0.8); // the level line, top to bottom
    expect(otsu.bars).toBeGreaterThan(0.03);
    expect(otsu.label).toMatch(/Histogram of grey; level \d+/);
    expect(await page.textContent('#threshold-level')).toContain(`Otsu's level for this frame: `);
    // a fixed level: the line moves to the value
    await page.selectOption('#threshold-mode', 'fixed');
    await page.fill('#threshold-value-n', '150');
    await page.dispatchEvent('#threshold-value-n', 'change');
    await waitFor(
      async () => {
        const m = (await settingsNow()).method;
        return m.kind === 'threshold' && m.mode === 'fixed' && m.value === 150;
      },
      5000,
      'the fixed level',
    );
    await page.waitForFunction(() => (window.segcam.controls.methodPanel as unknown as { histogram: { drawn: { level: number | null } } }).histogram.drawn.level === 150);
    const fixed = await drawing();
    expect(fixed.yellow).toBeGreaterThan(0.8);
    expect(await page.isVisible('#threshold-value')).toBe(true);
    expect(await page.isVisible('#threshold-block')).toBe(false); // the adaptive fields only with the adaptive mode
    await page.selectOption('#threshold-mode', 'adaptive');
    await page.waitForSelector('#threshold-block', { state: 'visible' });
    await page.close();
  });

  it('the cluster panel shows K swatches and coverages, and a checkbox changes the mask', async () => {
    await reset();
    const page = await viewer('mask');
    await page.evaluate(() => (window.segcam.view.overlay = false));
    await page.selectOption('#method', 'clusters');
    await page.waitForFunction(() => window.segcam.view.current?.analysis?.info?.clusters?.length === 4, null, { timeout: 10_000 });
    await page.waitForFunction(() => [...document.querySelectorAll('#cluster-list .cluster .coverage')].filter((e) => /%$/.test(e.textContent ?? '')).length === 4);
    // each swatch is its cluster's colour (B, G, R from the frame's report)
    const rows = await page.evaluate(() => {
      const info = window.segcam.view.current!.analysis!.info!.clusters!;
      return [...document.querySelectorAll<HTMLElement>('#cluster-list .cluster')].map((e) => {
        const c = info.find((x) => x.index === Number(e.dataset.index))!;
        return {
          swatch: getComputedStyle(e.querySelector('.swatch')!).backgroundColor,
          expected: `rgb(${c.bgr[2]}, ${c.bgr[1]}, ${c.bgr[0]})`,
          checked: (e.querySelector('input') as HTMLInputElement).checked,
        };
      });
    });
    expect(rows).toHaveLength(4);
    for (const r of rows) expect(r.swatch).toBe(r.expected);
    expect(rows.map((r) => r.checked)).toEqual([true, false, false, false]); // the default: cluster 0
    // the cluster whose coverage differs most from cluster 0's becomes the mask instead
    const index = await page.evaluate(() => {
      const c = window.segcam.view.current!.analysis!.info!.clusters!;
      const c0 = c.find((x) => x.index === 0)!.coverage;
      return c.filter((x) => x.index !== 0).sort((a, b) => Math.abs(b.coverage - c0) - Math.abs(a.coverage - c0))[0]!.index;
    });
    // the picture and its analysis, read together until they agree (the display may lag the analysis by a frame or two under load)
    const shown = async (): Promise<{ lit: number; coverage: number; clusters: { index: number; coverage: number }[] }> => {
      await current(page);
      const deadline = Date.now() + 5000;
      for (;;) {
        await page.waitForTimeout(200);
        // mid-grey: the edges of a fragmented mask, blurred by the scaling, count half in and half out
        const a = await page.evaluate(() => window.segcam.view.current!.analysis!);
        const got = { lit: await lit(page, 382), coverage: a.coverage, clusters: a.info!.clusters! };
        if (Math.abs(got.lit * 100 - got.coverage) < 5 || Date.now() > deadline) return got;
      }
    };
    const coverageOf = (x: Awaited<ReturnType<typeof shown>>, i: number): number => x.clusters.find((c) => c.index === i)!.coverage;
    const first = await shown();
    expect(Math.abs(first.lit * 100 - first.coverage)).toBeLessThan(5); // the mask shows cluster 0
    expect(Math.abs(first.coverage - coverageOf(first, 0))).toBeLessThan(1);
    await page.check(`#cluster-fg-${index}`);
    await waitFor(async () => JSON.stringify((await settingsNow()).method).includes(`"foreground":[0,${index}]`), 5000, 'two foreground clusters');
    await page.uncheck('#cluster-fg-0');
    await waitFor(async () => JSON.stringify((await settingsNow()).method).includes(`"foreground":[${index}]`), 5000, 'one foreground cluster');
    await page.waitForFunction((i) => {
      const a = window.segcam.view.current?.analysis;
      return a?.ranges.length === 1 && a.ranges[0]!.name === `cluster${i}`;
    }, index);
    const after = await shown();
    // the mask is now that cluster (its coverage in the same frame), not cluster 0
    expect(Math.abs(after.lit * 100 - after.coverage)).toBeLessThan(5);
    expect(Math.abs(after.coverage - coverageOf(after, index))).toBeLessThan(1);
    expect(Math.abs(coverageOf(after, index) - coverageOf(after, 0)), JSON.stringify(after.clusters)).toBeGreaterThan(1);
    expect(Math.abs(after.lit * 100 - coverageOf(after, 0))).toBeGreaterThan(Math.abs(after.lit * 100 - coverageOf(after, index)));
    // and the numbering held: the cluster chosen is still the one whose coverage is furthest from cluster 0's
    expect(Math.abs(coverageOf(after, index) - coverageOf(after, 0))).toBeGreaterThan(Math.abs(coverageOf(first, index) - coverageOf(first, 0)) / 2);
    await page.close();
  });

  it('targets are listed per region and drawn as rotated boxes, with the crosshair', async () => {
    await reset([RED, GREEN]);
    const page = await viewer('mask');
    await page.waitForFunction(() => {
      const t = window.segcam.view.current?.analysis?.targets;
      return t?.length === 2 && t.every((r) => r.targets.length >= 1);
    });
    await page.locator('#picture').focus();
    await page.keyboard.press('f'); // freeze: the list and the drawing are of one frame
    const seen = await page.evaluate(() => {
      const v = window.segcam.view;
      window.segcam.controls.targets.analysis(v.current!.analysis, true);
      v.redraw();
      const c = document.getElementById('picture') as HTMLCanvasElement;
      const ctx = c.getContext('2d')!;
      const dpr = window.devicePixelRatio;
      const hex = (h: string): number[] => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
      // does a pixel near (x, y) (CSS px) have this colour? (the mask view is black and white: only the overlay is coloured)
      const near = (x: number, y: number, colour: string): boolean => {
        const [r, g, b] = hex(colour);
        const d = ctx.getImageData(Math.round(x * dpr) - 3, Math.round(y * dpr) - 3, 7, 7).data;
        for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i]! - r!) + Math.abs(d[i + 1]! - g!) + Math.abs(d[i + 2]! - b!) < 90) return true;
        return false;
      };
      const drawn = v.drawn.targets.map((t) => {
        const edges = t.corners.map((p, i) => {
          const q = t.corners[(i + 1) % 4]!;
          return near((p[0] + q[0]) / 2, (p[1] + q[1]) / 2, t.colour);
        });
        return { ...t, edgesSeen: edges.filter(Boolean).length };
      });
      const ch = v.drawn.crosshair;
      // the brightest pixel across the right arm
      const arm = ch ? ctx.getImageData(Math.round((ch.x + 6) * dpr), Math.round(ch.y * dpr) - 2, 1, 5).data : null;
      const white = arm ? [0, 4, 8, 12, 16].map((i) => [arm[i]!, arm[i + 1]!, arm[i + 2]!]).sort((p, q) => q[0]! + q[1]! + q[2]! - (p[0]! + p[1]! + p[2]!))[0]! : null;
      return {
        targets: v.current!.analysis!.targets!,
        frame: { w: v.current!.width, h: v.current!.height },
        rect: v.imageRect()!,
        drawn,
        crosshair: ch,
        crosshairPixel: white ? [...white] : null,
        list: [...document.querySelectorAll<HTMLElement>('#target-list .region-targets')].map((e) => ({
          region: e.dataset.region,
          rows: [...e.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
        })),
      };
    });
    // the list: per region, best first, the numbers of the frame shown
    expect(seen.list.map((r) => r.region)).toEqual(['red', 'green']);
    for (const [i, region] of seen.targets.entries()) {
      const rows = seen.list[i]!.rows;
      expect(rows).toHaveLength(region.targets.length);
      region.targets.forEach((t, k) => {
        const [n, area, pct, centroid, offset, angle] = rows[k]!;
        expect(n).toBe(String(k + 1));
        expect(area).toBe(String(Math.round(t.area)));
        expect(pct).toBe(t.percent.toFixed(2));
        expect(centroid).toBe(`${Math.round(t.cx)}, ${Math.round(t.cy)}`);
        const norm = (v: string): string =>
          v
            .replace(/−/g, '-')
            .replace(/\+/g, '')
            .replace(/-0\.00/g, '0.00');
        expect(norm(offset!)).toBe(norm(`${t.offset.nx.toFixed(2)}, ${t.offset.ny.toFixed(2)}`));
        expect(angle).toBe(`${t.rotated.angle.toFixed(1)}°`);
      });
    }
    // the drawing: one rotated box per target, centred on its box, its w side turned by its angle, and on the canvas
    const scale = seen.rect.w / seen.frame.w;
    const all = seen.targets.flatMap((r) => r.targets.map((t) => ({ region: r.name, t })));
    expect(seen.drawn).toHaveLength(all.length);
    seen.drawn.forEach((d, i) => {
      const { region, t } = all[i]!;
      expect(d.region).toBe(region);
      const mx = d.corners.reduce((s, p) => s + p[0], 0) / 4;
      const my = d.corners.reduce((s, p) => s + p[1], 0) / 4;
      expect(Math.abs(mx - (seen.rect.x + t.rotated.cx * scale))).toBeLessThan(1);
      expect(Math.abs(my - (seen.rect.y + t.rotated.cy * scale))).toBeLessThan(1);
      const [p1, p2] = [d.corners[1]!, d.corners[2]!];
      expect(Math.hypot(p2[0] - p1[0], p2[1] - p1[1])).toBeCloseTo(t.rotated.w * scale, 0);
      const turn = ((((Math.atan2(p2[1] - p1[1], p2[0] - p1[0]) * 180) / Math.PI) % 180) + 180) % 180;
      expect(Math.min(Math.abs(turn - (t.rotated.angle % 180)), 180 - Math.abs(turn - (t.rotated.angle % 180)))).toBeLessThan(0.5);
      expect(d.edgesSeen).toBeGreaterThanOrEqual(2);
    });
    // the crosshair, in the middle of the picture, drawn in white
    expect(seen.crosshair!.x).toBeCloseTo(seen.rect.x + seen.rect.w / 2, 0);
    expect(seen.crosshair!.y).toBeCloseTo(seen.rect.y + seen.rect.h / 2, 0);
    expect(Math.min(...seen.crosshairPixel!.slice(0, 3))).toBeGreaterThan(200);
    // blob boxes give way to the targets
    expect(await page.evaluate(() => window.segcam.view.drawn.blobs)).toBe(0);
    await page.keyboard.press('f');
    await page.close();
  });

  it('a zone drawn on the picture is created, shown and reported on; Esc cancels one; exclude zones are dimmed', async () => {
    await reset();
    const page = await viewer('original');
    await page.click('#draw-zone');
    expect(await page.getAttribute('#draw-zone', 'aria-pressed')).toBe('true');
    expect(await page.textContent('#tool')).toMatch(/Drawing a zone/);
    for (const [x, y] of [
      [0.02, 0.02],
      [0.5, 0.02],
      [0.5, 0.98],
      [0.02, 0.98],
    ] as const)
      await clickPicture(page, x, y);
    expect(await page.evaluate(() => window.segcam.view.draft?.points.length)).toBe(4);
    await page.keyboard.press('Enter');
    const zones = await waitFor(
      async () => {
        const z = (await settingsNow()).zones;
        return z.length === 1 && z;
      },
      5000,
      'the zone',
    );
    expect(zones[0]).toMatchObject({ name: 'zone1', kind: 'include' });
    const want = [
      [0.02, 0.02],
      [0.5, 0.02],
      [0.5, 0.98],
      [0.02, 0.98],
    ];
    zones[0]!.points.forEach((p, i) => {
      expect(Math.abs(p[0] - want[i]![0]!)).toBeLessThan(0.01);
      expect(Math.abs(p[1] - want[i]![1]!)).toBeLessThan(0.01);
    });
    expect(await page.isHidden('#tool')).toBe(true);
    // its coverage per region, from the frames
    await page.waitForFunction(
      () => {
        const z = window.segcam.view.current?.analysis?.zones?.[0];
        return z?.name === 'zone1' && Math.abs(z.area - 46) < 3;
      },
      null,
      { timeout: 10_000 },
    );
    await page.waitForFunction(() => /^\d+\.\d% of the frame · red \d+\.\d%/.test(document.querySelector('#zone-list .zone .coverage')?.textContent ?? ''));
    expect(await page.evaluate(() => window.segcam.view.drawn.zones.map((z) => z.kind))).toEqual(['include']);
    // a second zone, closed by a double-click, made an exclude zone: drawn dimmed
    await page.click('#draw-zone');
    await clickPicture(page, 0.6, 0.55);
    await clickPicture(page, 0.95, 0.55);
    await clickPicture(page, 0.95, 0.95, { double: true });
    await waitFor(async () => (await settingsNow()).zones.length === 2, 5000, 'the second zone');
    expect((await settingsNow()).zones[1]).toMatchObject({ name: 'zone2', kind: 'include' });
    expect((await settingsNow()).zones[1]!.points).toHaveLength(3);
    await page.selectOption('#zone-list .zone[data-index="1"] select', 'exclude');
    await waitFor(async () => (await settingsNow()).zones[1]?.kind === 'exclude', 5000, 'an exclude zone');
    await page.waitForFunction(() => document.querySelector('#zone-list .zone[data-index="1"] .coverage')?.textContent === 'cut out of the mask');
    await current(page);
    const dim = await page.evaluate(async () => {
      // inside the exclude zone the canvas is darker than the frame itself
      const v = window.segcam.view;
      const f = v.current!;
      const bmp = await createImageBitmap(new Blob([f.jpeg as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }));
      const o = new OffscreenCanvas(f.width, f.height).getContext('2d')!;
      o.drawImage(bmp, 0, 0);
      const mean = (d: Uint8ClampedArray): number => d.reduce((s, x, i) => (i % 4 === 3 ? s : s + x), 0) / ((d.length / 4) * 3);
      const own = mean(o.getImageData(Math.round(0.88 * f.width) - 10, Math.round(0.68 * f.height) - 10, 20, 20).data);
      const r = v.imageRect()!;
      const dpr = window.devicePixelRatio;
      const c = (document.getElementById('picture') as HTMLCanvasElement).getContext('2d')!;
      const shown = mean(c.getImageData(Math.round((r.x + 0.88 * r.w) * dpr) - 10, Math.round((r.y + 0.68 * r.h) * dpr) - 10, 20, 20).data);
      return { own, shown, kinds: v.drawn.zones.map((z) => z.kind) };
    });
    expect(dim.kinds).toEqual(['include', 'exclude']);
    expect(dim.shown).toBeLessThan(dim.own * 0.75);
    // Esc cancels a zone being drawn
    await page.click('#draw-zone');
    await clickPicture(page, 0.3, 0.3);
    await clickPicture(page, 0.4, 0.3);
    await page.keyboard.press('Escape');
    expect(await page.evaluate(() => [window.segcam.picture.tool, window.segcam.view.draft])).toEqual(['pick', null]);
    await page.waitForTimeout(300);
    expect((await settingsNow()).zones).toHaveLength(2);
    // delete
    await page.click('#zone-list .zone[data-index="0"] button.remove');
    await waitFor(async () => (await settingsNow()).zones.map((z) => z.name).join() === 'zone2', 5000, 'a zone deleted');
    await page.close();
  });

  it("setting the crosshair (button then click, or Shift+click) changes the targets' offsets", async () => {
    await reset();
    const page = await viewer('masked');
    /** offsetsFit checks the newest frame's targets against a crosshair (fractions): px and -1..1 offsets */
    const offsetsFit = (x: number, y: number): Promise<unknown> =>
      page.waitForFunction(
        ([x, y]) => {
          const f = window.segcam.view.current;
          const t = f?.analysis?.targets?.[0]?.targets[0];
          if (!f || !t || f.rev < Number(document.body.dataset.revision)) return false;
          const cx = x! * f.width;
          const cy = y! * f.height;
          const nx = t.offset.x >= 0 ? t.offset.x / (f.width - cx) : t.offset.x / cx;
          const ny = t.offset.y >= 0 ? t.offset.y / (f.height - cy) : t.offset.y / cy;
          return Math.abs(t.offset.x - (t.cx - cx)) <= 1 && Math.abs(t.offset.y - (t.cy - cy)) <= 1 && Math.abs(nx - t.offset.nx) < 0.02 && Math.abs(ny - t.offset.ny) < 0.02;
        },
        [x, y],
        { timeout: 10_000 },
      );
    await offsetsFit(0.5, 0.5);
    await page.click('#set-crosshair');
    expect(await page.getAttribute('#set-crosshair', 'aria-pressed')).toBe('true');
    expect(await page.textContent('#tool')).toMatch(/put the crosshair/);
    await clickPicture(page, 0.1, 0.2);
    const at = await waitFor(
      async () => {
        const c = (await settingsNow()).targets.crosshair;
        return c.x !== 0.5 && c;
      },
      5000,
      'the crosshair',
    );
    expect(at.x).toBeCloseTo(0.1, 2);
    expect(at.y).toBeCloseTo(0.2, 2);
    expect(await page.getAttribute('#set-crosshair', 'aria-pressed')).toBe('false');
    expect(await page.textContent('#crosshair-at')).toBe('0.10, 0.20');
    await offsetsFit(at.x, at.y);
    const drawn = await page.evaluate(() => {
      const r = window.segcam.view.imageRect()!;
      return { ...window.segcam.view.drawn.crosshair!, want: { x: r.x + 0.1 * r.w, y: r.y + 0.2 * r.h } };
    });
    expect(Math.abs(drawn.x - drawn.want.x)).toBeLessThan(1.5);
    expect(Math.abs(drawn.y - drawn.want.y)).toBeLessThan(1.5);
    // Shift+click puts it at once; the list shows the new offsets
    await clickPicture(page, 0.9, 0.8, { shift: true });
    const moved = await waitFor(
      async () => {
        const c = (await settingsNow()).targets.crosshair;
        return c.x > 0.5 && c;
      },
      5000,
      'the crosshair again',
    );
    expect(moved.x).toBeCloseTo(0.9, 2);
    expect(moved.y).toBeCloseTo(0.8, 2);
    await offsetsFit(moved.x, moved.y);
    const listed = await page.evaluate(() => {
      window.segcam.controls.targets.analysis(window.segcam.view.current!.analysis, true);
      const t = window.segcam.view.current!.analysis!.targets![0]!.targets[0]!;
      return { row: document.querySelector<HTMLElement>('#target-list tbody tr')!.dataset.offset, want: `${t.offset.nx},${t.offset.ny}` };
    });
    expect(listed.row).toBe(listed.want);
    // a pick was not made by those clicks
    expect((await settingsNow()).method).toMatchObject({ kind: 'colour', ranges: [RED] });
    await page.close();
  });

  it('a flip of the input mirrors the picture (and the colour under the mouse reads in Lab too)', async () => {
    await reset();
    const page = await viewer('original');
    /** the background's bands run along x + y = const: compare pixels along and across them */
    const bands = (): Promise<{ along: number; across: number }> =>
      page.evaluate(async () => {
        const f = window.segcam.view.current!;
        const bmp = await createImageBitmap(new Blob([f.jpeg as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }));
        const o = new OffscreenCanvas(bmp.width, bmp.height).getContext('2d')!;
        o.drawImage(bmp, 0, 0);
        const d = o.getImageData(0, 0, bmp.width, bmp.height).data;
        const W = bmp.width;
        const g = (x: number, y: number): number => d[(y * W + x) * 4]! + d[(y * W + x) * 4 + 1]! + d[(y * W + x) * 4 + 2]!;
        let along = 0;
        let across = 0;
        let n = 0;
        for (let y = 16; y < bmp.height - 16; y += 3)
          for (let x = 16; x < W - 16; x += 3) {
            along += Math.abs(g(x, y) - g(x + 8, y - 8));
            across += Math.abs(g(x, y) - g(x + 8, y + 8));
            n++;
          }
        return { along: along / n, across: across / n };
      });
    const before = await bands();
    expect(before.along).toBeLessThan(before.across * 0.7);
    await page.click('#transform > summary');
    await page.selectOption('#flip', 'h');
    await waitFor(async () => (await settingsNow()).transform.flip === 'h', 5000, 'the flip');
    await current(page);
    const after = await bands();
    expect(after.across).toBeLessThan(after.along * 0.7); // mirrored: the bands now run the other way
    // the colour under the mouse, in HSV, BGR and Lab
    const p = await point(page, 0.5, 0.5);
    await page.mouse.move(p.x, p.y);
    await page.mouse.move(p.x + 2, p.y + 2);
    await page.waitForFunction(() => /HSV \d+,\d+,\d+ · BGR \d+,\d+,\d+ · Lab \d+,\d+,\d+/.test(document.getElementById('pixel')!.textContent ?? ''));
    // one undo step puts it back
    await page.click('#undo');
    await waitFor(async () => (await settingsNow()).transform.flip === 'none', 5000, 'the flip undone');
    await page.close();
  });

  it('with the view token the new controls are visible and off, and the picture tools refuse', async () => {
    await reset();
    await patch({
      zones: [
        {
          name: 'door',
          kind: 'include',
          points: [
            [0.1, 0.1],
            [0.4, 0.1],
            [0.4, 0.4],
          ],
        },
      ],
    });
    const page = await viewer('masked', VIEW_TOKEN);
    for (const sel of [
      '#method',
      '#space',
      '#add-range',
      '#set-crosshair',
      '#crosshair-centre',
      '#draw-zone',
      '#zone-list input.zone-name',
      '#zone-list select',
      '#flip',
      '#crop-on',
      '#target-sort',
      '#quality-n',
    ])
      expect(await page.isDisabled(sel), sel).toBe(true);
    expect(await page.evaluate(() => document.getElementById('panel')!.classList.contains('read-only'))).toBe(true);
    await clickPicture(page, 0.5, 0.5, { shift: true });
    await page.waitForFunction(() => /View-only/.test(document.getElementById('toast')!.textContent ?? ''));
    await page.keyboard.press('z');
    expect(await page.evaluate(() => window.segcam.picture.tool)).toBe('pick');
    expect((await settingsNow()).targets.crosshair).toEqual({ x: 0.5, y: 0.5 });
    await page.close();
    await reset();
  });
});
