/**
 * The viewer as its users meet it, in real Chromium: names that look like HTML stay text,
 * presets that follow every page, undo that reverts only its own step, picks only on the
 * picture (one undo step, a box while dragging), shortcuts with a slider focused, what the page
 * says while disconnected or when its token changed, the small readouts, and a page on another
 * origin embedding the stream and calling the API.
 */
import { createServer, type Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openViewer, waitFrames } from '../helpers/browser.js';
import { freePort } from '../helpers/rtsp.js';
import { jsonHeaders, startServer, type ServerHandle } from '../helpers/server.js';

const VIEW_TOKEN = 'view-only-token-e2e-42';
const EVIL = '"><a id=pwn href=//e.vl>HELP</a><img src=x onerror=alert(1)>';
let browser: Browser;
let s: ServerHandle;
let other: Server;
let otherPort = 0;

beforeAll(async () => {
  browser = await launchBrowser();
  otherPort = await freePort();
  s = await startServer({
    args: ['--source', 'demo', '--width', '640', '--height', '480', '--fps', '30', '--view-token', VIEW_TOKEN, '--allow-origin', `http://127.0.0.1:${otherPort}`],
  });
  // a page on another origin: a dashboard that embeds the stream and calls the API
  other = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><img id="cam" src="${s.base}/stream.mjpg?view=original&fps=5&token=${VIEW_TOKEN}"><img id="snap" src="${s.base}/snapshot.jpg?token=${VIEW_TOKEN}">`);
  });
  await new Promise<void>((r) => other.listen(otherPort, '127.0.0.1', r));
});
afterAll(async () => {
  await browser?.close();
  await s?.stop();
  other?.close();
});

const patch = (body: object) => fetch(`${s.base}/api/settings`, { method: 'PATCH', headers: jsonHeaders(s), body: JSON.stringify(body) });
const RED = { name: 'red', color: '#ff3b30', lower: [170, 100, 80], upper: [10, 255, 255] };

describe('the viewer, hardened', () => {
  it('a range named like HTML shows as text in every viewer, control and view-only, and injects nothing', async () => {
    expect((await patch({ ranges: [{ ...RED, name: EVIL.slice(0, 32) }] })).status).toBe(200);
    for (const token of [s.token, VIEW_TOKEN]) {
      const page = await openViewer(browser, s, { token });
      await page.waitForFunction(() => document.body.dataset.ready === '1');
      await waitFrames(page, 3);
      expect(await page.locator('#pwn').count()).toBe(0);
      expect(await page.locator('#range-list a, #range-list img').count()).toBe(0);
      expect(await page.inputValue('#range-list input.name')).toBe(EVIL.slice(0, 32));
      await page.close();
    }
    await patch({ ranges: [RED] });
  });

  it("loading a preset moves this page's own panel; every page's preset list follows saves, renames and deletes", async () => {
    const a = await openViewer(browser, s);
    const b = await openViewer(browser, s);
    for (const p of [a, b]) await p.waitForFunction(() => document.body.dataset.ready === '1');
    await patch({ minArea: 33 }); // a preset holds the recipe (not the output's quality, nor zones or transform)
    await a.fill('#preset-name', 'area33');
    await a.click('#preset-save');
    await b.waitForFunction(() => [...(document.getElementById('preset-list') as HTMLSelectElement).options].some((o) => o.value === 'area33'), null, { timeout: 5000 });
    await patch({ minArea: 77 });
    await a.waitForFunction(() => (document.getElementById('min-area') as HTMLInputElement).value === '77');
    await a.selectOption('#preset-list', 'area33');
    await a.click('#preset-load');
    await a.waitForFunction(() => (document.getElementById('min-area') as HTMLInputElement).value === '33', null, { timeout: 5000 }); // its own panel too
    await b.waitForFunction(() => (document.getElementById('min-area') as HTMLInputElement).value === '33', null, { timeout: 5000 });
    await a.fill('#preset-name', 'area33b');
    await a.click('#preset-rename');
    await b.waitForFunction(() => [...(document.getElementById('preset-list') as HTMLSelectElement).options].map((o) => o.value).join() === 'area33b', null, { timeout: 5000 });
    // delete asks first: dismissed, nothing happens; accepted, it goes everywhere
    a.once('dialog', (d) => void d.dismiss());
    await a.click('#preset-delete');
    await a.waitForTimeout(300);
    expect(await (await fetch(`${s.base}/api/presets`, { headers: jsonHeaders(s) })).json()).toMatchObject({ names: ['area33b'] });
    a.once('dialog', (d) => void d.accept());
    await a.click('#preset-delete');
    await b.waitForFunction(() => (document.getElementById('preset-list') as HTMLSelectElement).options.length === 0, null, { timeout: 5000 });
    await a.close();
    await b.close();
    await patch({ minArea: 0 });
  });

  it("undo reverts only what its step changed, not another page's later change", async () => {
    await patch({ quality: 80, blur: 0 });
    const a = await openViewer(browser, s);
    const b = await openViewer(browser, s);
    for (const p of [a, b]) await p.waitForFunction(() => document.body.dataset.ready === '1');
    await a.fill('#quality-n', '55');
    await a.dispatchEvent('#quality-n', 'change');
    await b.waitForFunction(() => (document.getElementById('quality-n') as HTMLInputElement).value === '55');
    await b.fill('#blur', '5');
    await b.dispatchEvent('#blur', 'change');
    await a.waitForFunction(() => (document.getElementById('blur') as HTMLInputElement).value === '5');
    await a.click('#undo');
    await b.waitForFunction(() => (document.getElementById('quality-n') as HTMLInputElement).value === '80', null, { timeout: 5000 });
    const now = await (await fetch(`${s.base}/api/settings`, { headers: jsonHeaders(s) })).json();
    expect(now.settings).toMatchObject({ output: { quality: 80 }, blur: 5 }); // b's blur survives a's undo
    await a.close();
    await b.close();
    await patch({ blur: 0 });
  });

  it('a pick happens only on the picture (not the letterbox), draws its box while dragging, and is one undo step', async () => {
    const page = await openViewer(browser, s, { width: 1400, height: 700 }); // a wide stage: letterbox left and right
    await page.click('#views button[data-view="original"]');
    await waitFrames(page, 5);
    const r = await page.evaluate(() => {
      const c = document.getElementById('picture')!.getBoundingClientRect();
      const i = window.segcam.view.imageRect()!;
      return { left: c.left, top: c.top, x: i.x, y: i.y, w: i.w, h: i.h };
    });
    expect(r.x).toBeGreaterThan(20); // there is a letterbox
    const before = await page.evaluate(() => JSON.stringify(window.segcam.controls.ranges));
    await page.mouse.click(r.left + r.x / 2, r.top + r.y + r.h / 2); // on the letterbox
    await page.waitForTimeout(500);
    expect(await page.evaluate(() => JSON.stringify(window.segcam.controls.ranges))).toBe(before);
    // drag a box over the middle of the picture: it is drawn while dragging
    const x0 = r.left + r.x + r.w * 0.4;
    const y0 = r.top + r.y + r.h * 0.4;
    await page.mouse.move(x0, y0);
    await page.mouse.down();
    await page.mouse.move(x0 + r.w * 0.1, y0 + r.h * 0.1, { steps: 4 });
    expect(await page.evaluate(() => window.segcam.view.dragBox)).toMatchObject({ w: expect.any(Number), h: expect.any(Number) });
    expect(await page.evaluate(() => window.segcam.view.dragBox!.w)).toBeGreaterThan(20);
    await page.mouse.up();
    await page.waitForFunction(() => /Picked \d+ px into "red"/.test(document.getElementById('toast')!.textContent ?? ''), null, { timeout: 5000 });
    expect(await page.evaluate(() => JSON.stringify(window.segcam.controls.ranges))).not.toBe(before);
    await page.locator('#picture').focus();
    await page.keyboard.press('Control+z');
    await page.waitForFunction((b) => JSON.stringify(window.segcam.controls.ranges) === b, before, { timeout: 5000 });
    await page.close();
  });

  it('shortcuts work with a slider focused; a number field keeps its keys until Esc', async () => {
    const page = await openViewer(browser, s);
    await page.waitForFunction(() => document.body.dataset.ready === '1');
    await page.locator('#range-list input[type=range]').first().focus();
    await page.keyboard.press('3');
    await page.waitForFunction(() => window.segcam.connection.view === 'original');
    await page.locator('#blur').focus();
    await page.keyboard.press('2');
    expect(await page.evaluate(() => window.segcam.connection.view)).toBe('original');
    await page.keyboard.press('Escape');
    await page.keyboard.press('2');
    await page.waitForFunction(() => window.segcam.connection.view === 'mask');
    await page.keyboard.press('1');
    await page.close();
  });

  it('the small readouts: colour under the mouse, coverage and blobs in each range card, a lasting frozen badge', async () => {
    const page = await openViewer(browser, s);
    await page.click('#views button[data-view="original"]');
    await waitFrames(page, 5);
    const r = await page.evaluate(() => {
      const c = document.getElementById('picture')!.getBoundingClientRect();
      const i = window.segcam.view.imageRect()!;
      return { x: c.left + i.x + i.w / 2, y: c.top + i.y + i.h / 2 };
    });
    await page.mouse.move(r.x, r.y);
    await page.mouse.move(r.x + 3, r.y + 3);
    await page.waitForFunction(() => /HSV \d+,\d+,\d+ · BGR \d+,\d+,\d+/.test(document.getElementById('pixel')!.textContent ?? ''));
    await page.waitForFunction(() => /\d+\.\d% · \d+ blobs?/.test(document.querySelector('#range-list .found')!.textContent ?? ''));
    await page.locator('#picture').focus();
    await page.keyboard.press('f');
    expect(await page.isVisible('#frozen')).toBe(true);
    await page.waitForTimeout(4000); // longer than any toast
    expect(await page.isVisible('#frozen')).toBe(true);
    await page.keyboard.press('f');
    expect(await page.isVisible('#frozen')).toBe(false);
    await page.close();
  });

  it('a page on another origin embeds the stream and a snapshot with the view token', async () => {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${otherPort}/`);
    await page.waitForFunction(
      () => (document.getElementById('cam') as HTMLImageElement).naturalWidth > 0 && (document.getElementById('snap') as HTMLImageElement).naturalWidth > 0,
      null,
      { timeout: 10_000 },
    );
    expect(await page.evaluate(() => (document.getElementById('cam') as HTMLImageElement).naturalWidth)).toBe(640);
    // and calls the API with CORS (its origin is allowed); a non-allowed origin's read is blocked by the browser
    const status = await page.evaluate(
      async ([base, token]) => (await (await fetch(`${base}/api/status`, { headers: { authorization: `Bearer ${token}` } })).json()).source.state,
      [s.base, VIEW_TOKEN],
    );
    expect(status).toBe('live');
    await page.close();
  });
});

describe('the viewer when the server goes or its token changes', () => {
  it('while disconnected, edits are off and the page says so; after a restart with another token it asks for the token', async () => {
    const srv = await startServer({ args: ['--source', 'demo', '--width', '320', '--height', '240'] });
    const port = srv.port;
    const page: Page = await openViewer(browser, srv);
    await page.waitForFunction(() => document.body.dataset.ready === '1');
    expect(await page.isDisabled('#quality-n')).toBe(false);
    await srv.stop();
    await page.waitForFunction(() => document.body.dataset.conn === 'waiting', null, { timeout: 10_000 });
    expect(await page.textContent('#conn')).toMatch(/^disconnected: /);
    expect(await page.isDisabled('#quality-n')).toBe(true);
    expect(await page.isDisabled('#add-range')).toBe(true);
    const next = await startServer({ args: ['--source', 'demo', '--width', '320', '--height', '240', '--port', String(port)], token: 'a-new-token-after-restart' });
    try {
      await page.waitForSelector('#denied:not([hidden])', { timeout: 20_000 });
      expect(await page.textContent('#denied-reason')).toMatch(/token is wrong/);
      await page.fill('#token-input', 'a-new-token-after-restart');
      await Promise.all([page.waitForURL((u) => !u.search.includes('token')), page.click('#token-form button')]);
      await page.waitForFunction(() => document.body.dataset.conn === 'open', null, { timeout: 15_000 });
      expect(await page.isDisabled('#quality-n')).toBe(false);
    } finally {
      await page.close();
      await next.stop();
    }
  }, 60_000);
});
