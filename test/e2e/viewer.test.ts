/**
 * The viewer in real Chromium against the real server: picture, controls, pick, sync between
 * pages, recovery after a server restart, and the access-denied page.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser.js';
import type { Settings } from '../../shared/settings.js';
import { colourOf } from '../helpers/settings.js';
import { authHeaders, startServer, type ServerHandle } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

let browser: Browser;
let server: ServerHandle;
const ARGS = ['--source', 'demo', '--width', '640', '--height', '480', '--fps', '30'];

async function open(s: ServerHandle, token = s.token): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  page.on('pageerror', (e) => {
    throw e;
  });
  await page.goto(`${s.base}/?token=${token}`);
  return page;
}

/** fraction of canvas pixels brighter than black, and a cheap fingerprint of the picture */
function canvasStats(page: Page): Promise<{ lit: number; sum: number }> {
  return page.evaluate(() => {
    const c = document.getElementById('picture') as HTMLCanvasElement;
    const r = window.segcam.view.imageRect()!;
    const dpr = window.devicePixelRatio;
    const d = c.getContext('2d')!.getImageData(Math.round(r.x * dpr), Math.round(r.y * dpr), Math.round(r.w * dpr), Math.round(r.h * dpr)).data;
    let lit = 0;
    let sum = 0;
    for (let i = 0; i < d.length; i += 4) {
      const v = d[i]! + d[i + 1]! + d[i + 2]!;
      if (v > 60) lit++;
      sum = (sum + v * (i % 9973)) % 1e9;
    }
    return { lit: lit / (d.length / 4), sum };
  });
}

/** waitCanvas polls the picture until `pred` holds (the display may lag the analysis by a frame) */
async function waitCanvas(page: Page, pred: (s: { lit: number; sum: number }) => boolean, timeoutMs = 5000): Promise<{ lit: number; sum: number }> {
  const deadline = Date.now() + timeoutMs;
  let s = await canvasStats(page);
  while (!pred(s) && Date.now() < deadline) {
    await page.waitForTimeout(100);
    s = await canvasStats(page);
  }
  return s;
}

/** waitFrames waits until frames flow and `n` more have been shown (counted from now: seq is the server's) */
async function waitFrames(page: Page, n = 5): Promise<unknown> {
  const target = (await seqNow(page)) + n;
  return page.waitForFunction((t) => Number(document.getElementById('hud')?.dataset.fps ?? 0) > 0 && (window.segcam.view.current?.seq ?? 0) > t, target, { timeout: 15_000 });
}

async function seqNow(page: Page): Promise<number> {
  return page.evaluate(() => window.segcam.view.current?.seq ?? 0);
}

describe('viewer in Chromium', () => {
  beforeAll(async () => {
    browser = await launchBrowser();
    server = await startServer({ args: ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('opens with the token (kept in an HttpOnly cookie, removed from the address) and shows changing frames', async () => {
    const page = await open(server);
    expect(new URL(page.url()).search).toBe(''); // token gone from the address bar
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'segcam_token')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await page.click('#views button[data-view="original"]');
    // wait for the view itself (a frame count alone can be reached before the switch lands)
    await page.waitForFunction(() => window.segcam.view.current?.view === 'original' && !window.segcam.view.current.placeholder, null, { timeout: 15_000 });
    const a = await waitCanvas(page, (s) => s.lit > 0.9);
    await waitFrames(page, 10);
    const b = await canvasStats(page);
    expect(a.lit).toBeGreaterThan(0.9); // the original picture fills the canvas
    expect(b.sum).not.toBe(a.sum); // and moves
    await page.close();
  });

  it('moving a range control changes the picture', async () => {
    const page = await open(server);
    await page.click('#views button[data-view="masked"]');
    await waitFrames(page);
    const before = await canvasStats(page);
    expect(before.lit).toBeLessThan(0.2); // only the red disc shows
    // widen the first range to everything: lower H, S, V to 0 and upper H to 179
    const nums = page.locator('#range-list fieldset').first().locator('input.num');
    for (const [i, v] of [
      [0, '0'],
      [1, '179'],
      [2, '0'],
      [4, '0'],
    ] as const) {
      await nums.nth(i).fill(v);
      await nums.nth(i).dispatchEvent('change');
    }
    const sent = await page.evaluate(() => window.segcam.controls.ranges[0]);
    expect(sent).toMatchObject({ lower: [0, 0, 0], upper: [179, 255, 255] });
    // the picture answers: the next frames are segmented with the new range
    await page.waitForFunction(() => (window.segcam.view.current?.analysis?.coverage ?? 0) > 90, null, { timeout: 5000 });
    const after = await waitCanvas(page, (s) => s.lit > 0.9);
    expect(after.lit).toBeGreaterThan(0.9);
    await page.close();
  });

  it('dragging the hue handle with the mouse changes the picture', async () => {
    const page = await open(server);
    await page.click('#views button[data-view="masked"]');
    await page.evaluate(() => window.segcam.controls.update({ ranges: [{ name: 'red', color: '#ff3b30', lower: [170, 100, 80], upper: [10, 255, 255] }] }, true));
    await page.waitForFunction(() => {
      const a = window.segcam.view.current?.analysis;
      return a !== undefined && a.ranges[0]?.name === 'red' && a.coverage > 0 && a.coverage < 10;
    });
    const before = await canvasStats(page);
    // drag the upper hue handle from 10 to about 130: the wrapped range 170..179 + 0..130 now
    // also takes the yellow, green and blue shapes (hues about 30, 56 and 103)
    const track = page.locator('#range-list fieldset').first().locator('.track').first();
    const box = (await track.boundingBox())!;
    const at = (v: number): number => box.x + (box.width * v) / 179;
    const y = box.y + box.height / 2;
    await page.mouse.move(at(10), y);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(at(10 + 12 * i), y);
    await page.mouse.up();
    const upper = await page.evaluate(() => window.segcam.controls.ranges[0]!.upper[0]);
    expect(upper).toBeGreaterThan(110);
    expect(upper).toBeLessThan(160);
    // the coloured shapes now pass (and not the grey background)
    await page.waitForFunction(
      (u) => {
        const f = window.segcam.view.current;
        return f?.analysis?.ranges[0] !== undefined && (f.analysis.ranges[0].blobs ?? 0) >= 3 && window.segcam.controls.ranges[0]!.upper[0] === u;
      },
      upper,
      { timeout: 5000 },
    );
    const after = await waitCanvas(page, (s) => s.lit > before.lit * 2);
    expect(after.lit).toBeGreaterThan(before.lit * 2);
    expect(after.lit).toBeLessThan(0.5);
    await page.close();
  });

  it('an <img> tag shows the MJPEG stream', async () => {
    const page = await open(server);
    const size = await page.evaluate(async () => {
      const img = document.createElement('img');
      img.src = '/stream.mjpg?view=original&fps=10'; // same origin: the cookie carries the token
      document.body.appendChild(img);
      await new Promise((resolve, reject) => {
        img.onload = resolve;
        img.onerror = reject;
        setTimeout(() => (img.naturalWidth ? resolve(null) : reject(new Error('no frame'))), 5000);
      });
      return [img.naturalWidth, img.naturalHeight];
    });
    expect(size).toEqual([640, 480]);
    await page.close();
  });

  it('two pages stay in sync, with a notice on the other page', async () => {
    const a = await open(server);
    const b = await open(server);
    await waitFrames(a);
    await waitFrames(b);
    const qualityA = a.locator('#quality-n');
    await qualityA.fill('55');
    await qualityA.dispatchEvent('change');
    await b.waitForFunction(() => (document.getElementById('quality-n') as HTMLInputElement).value === '55', null, { timeout: 5000 });
    await b.waitForFunction(() => /changed by viewer/.test(document.getElementById('toast')!.textContent ?? ''));
    // and undo on page A puts it back everywhere
    await a.click('#undo');
    await b.waitForFunction(() => (document.getElementById('quality-n') as HTMLInputElement).value !== '55', null, { timeout: 5000 });
    // "Find blobs" off on page A: page B's box follows and its frames carry no blobs to outline
    expect(await b.isChecked('#blobs')).toBe(true);
    await a.uncheck('#blobs');
    await b.waitForFunction(() => !(document.getElementById('blobs') as HTMLInputElement).checked, null, { timeout: 5000 });
    await b.waitForFunction(
      () => {
        const r = window.segcam.view.current?.analysis?.ranges[0];
        return r !== undefined && r.top === undefined && r.coverage > 0;
      },
      null,
      { timeout: 5000 },
    );
    await a.check('#blobs');
    await b.waitForFunction(() => (window.segcam.view.current?.analysis?.ranges[0]?.top?.length ?? 0) > 0, null, { timeout: 5000 });
    await a.close();
    await b.close();
  });

  it('click-to-pick on a shape of the demo scene yields a range that isolates it', async () => {
    const page = await open(server);
    await page.click('#views button[data-view="masked"]');
    await waitFrames(page);
    // first select everything, so that coverage is high
    await page.evaluate(() => window.segcam.controls.update({ ranges: [{ name: 'everything', color: '#ffffff', lower: [0, 0, 0], upper: [179, 255, 255] }] }, true));
    await page.waitForFunction(() => (window.segcam.view.current?.analysis?.coverage ?? 0) > 90);
    // find the green square: a throwaway range, read its centroid from the analysis, then click there
    await page.evaluate(() => window.segcam.controls.update({ ranges: [{ name: 'probe', color: '#00ff00', lower: [50, 150, 150], upper: [65, 255, 255] }] }, true));
    await page.waitForFunction(() => (window.segcam.view.current?.analysis?.ranges[0]?.blobs ?? 0) >= 1);
    await page.evaluate(() => window.segcam.controls.update({ ranges: [{ name: 'everything', color: '#ffffff', lower: [0, 0, 0], upper: [179, 255, 255] }] }, true));
    await page.waitForFunction(() => (window.segcam.view.current?.analysis?.coverage ?? 0) > 90);
    const target = await page.evaluate(() => {
      const f = window.segcam.view.current!;
      return { w: f.width, h: f.height };
    });
    // the square moves: aim with the freshest probe we can get
    await page.evaluate(() =>
      window.segcam.controls.update(
        {
          ranges: [
            { name: 'everything', color: '#ffffff', lower: [0, 0, 0], upper: [179, 255, 255] },
            { name: 'probe', color: '#00ff00', lower: [50, 150, 150], upper: [65, 255, 255] },
          ],
        },
        true,
      ),
    );
    // check and aim on the same frame (a newer one may arrive between two calls)
    const aimed = await page.waitForFunction(() => {
      const f = window.segcam.view.current;
      const b = f?.analysis?.ranges[1]?.top?.[0];
      const r = window.segcam.view.imageRect();
      if (!f || !b || !r) return null;
      const c = document.getElementById('picture')!.getBoundingClientRect();
      window.segcam.controls.activeRange = 0;
      return { x: c.left + r.x + (b.cx / f.width) * r.w, y: c.top + r.y + (b.cy / f.height) * r.h };
    });
    const point = (await aimed.jsonValue())!;
    expect(target.w).toBe(640);
    await page.mouse.click(point.x, point.y);
    await page.waitForFunction(() => /Picked \d+ px/.test(document.getElementById('toast')!.textContent ?? ''), null, { timeout: 5000 });
    await page.evaluate(() => window.segcam.controls.update({ ranges: [window.segcam.controls.ranges[0]!] }, true));
    // a frame made with the change (the revision the API gives once it has the one range): frames in flight were made before it
    const { revision } = await waitFor(
      async () => {
        const b = (await (await fetch(`${server.base}/api/settings`, { headers: authHeaders(server) })).json()) as { settings: Settings; revision: number };
        return colourOf(b.settings).ranges.length === 1 && b;
      },
      5000,
      'the server to have the one range',
    );
    await page.waitForFunction((revision) => {
      const f = window.segcam.view.current;
      return f !== null && !f.placeholder && f.rev >= revision;
    }, revision);
    const a = await page.evaluate(() => window.segcam.view.current!.analysis!);
    expect(a.coverage).toBeLessThan(10); // from ~100%: the background is gone
    const square = a.ranges[0]!.top![0]!;
    expect(square.area).toBeGreaterThan(4000); // the square (86 x 86 px) stays
    expect(square.w / square.h).toBeGreaterThan(0.7);
    expect(square.w / square.h).toBeLessThan(1.4);
    await page.close();
  });

  it('a wrong token shows the access-denied page', async () => {
    const page = await browser.newPage();
    const res = await page.goto(`${server.base}/?token=not-the-token`);
    expect(res!.status()).toBe(401);
    expect(await page.textContent('h1')).toBe('segcam: access denied');
    expect(await page.textContent('#reason')).toMatch(/token is wrong/);
    await page.close();
  });

  it('after the server restarts, the page reconnects by itself and keeps its view', async () => {
    const page = await open(server);
    await page.click('#views button[data-view="mask"]');
    await waitFrames(page);
    const port = server.port;
    await server.stop();
    await page.waitForFunction(() => document.body.dataset.conn === 'waiting', null, { timeout: 10_000 });
    expect(await page.textContent('#conn')).toMatch(/retrying in \d+ s/);
    server = await startServer({ args: [...ARGS, '--port', String(port)] });
    await page.waitForFunction(() => document.body.dataset.conn === 'open', null, { timeout: 20_000 });
    const s0 = await seqNow(page);
    await page.waitForFunction(() => window.segcam.view.current?.view === 'mask' && (window.segcam.view.current?.seq ?? 0) > 3, s0, { timeout: 15_000 });
    await page.close();
  });
});
