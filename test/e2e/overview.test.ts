/**
 * Several cameras in real Chromium: the overview at `/` (a live card per camera with its state
 * and coverage), the camera picker in each viewer, and a viewer that says which source it shows.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clipPath } from '../helpers/fixtures.js';
import { launchBrowser, openViewer, waitFrames } from '../helpers/browser.js';
import { freePort } from '../helpers/rtsp.js';
import { startServer, type ServerHandle } from '../helpers/server.js';

let browser: Browser;
let s: ServerHandle;

beforeAll(async () => {
  browser = await launchBrowser();
  const dead = await freePort();
  s = await startServer({
    args: [
      '--camera',
      'desk=demo',
      '--camera',
      `clip=${clipPath('small')}`,
      '--camera',
      `door=rtsp://127.0.0.1:${dead}/gone`,
      '--width',
      '320',
      '--height',
      '240',
      '--retry-min',
      '0.2',
      '--retry-max',
      '1',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await s?.stop();
});

describe('several cameras in the browser', () => {
  it('/ shows every camera: live ones with a picture and their coverage, a dead one with why', async () => {
    const page = await openViewer(browser, s);
    await page.waitForFunction(() => document.body.dataset.page === 'overview' && document.querySelectorAll('.camera-card').length === 3, null, { timeout: 15_000 });
    expect(await page.isHidden('#viewer')).toBe(true);
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('.camera-card[data-state="live"] img')].filter((i) => i.naturalWidth > 0).length === 2, null, {
      timeout: 15_000,
    });
    // the dead camera's first open fails within a second or two (a slow start on a busy machine: longer)
    await page.waitForFunction(() => document.querySelector<HTMLElement>('.camera-card[data-camera="door"]')?.dataset.state === 'reconnecting', null, { timeout: 15_000 });
    const cards = await page.$$eval('.camera-card', (els) =>
      els.map((e) => ({
        name: e.querySelector('strong')!.textContent,
        state: (e as HTMLElement).dataset.state,
        text: e.querySelector('.state')!.textContent,
        href: e.getAttribute('href'),
      })),
    );
    expect(cards.map((c) => c.name)).toEqual(['desk', 'clip', 'door']);
    expect(cards.find((c) => c.name === 'door')).toMatchObject({
      state: 'reconnecting',
      text: expect.stringMatching(/REFUSED: rtsp:\/\/127\.0\.0\.1:\d+\/gone: connection refused/),
    });
    expect(cards.find((c) => c.name === 'desk')).toMatchObject({ state: 'live', href: '/cam/desk/' });
    await page.screenshot({ path: `${s.dataDir}/overview.png` });
    // a card opens that camera's viewer, which says its source and offers the others
    await Promise.all([page.waitForURL(/\/cam\/clip\/$/), page.click('.camera-card[data-camera="clip"]')]);
    await waitFrames(page, 3);
    expect(await page.evaluate(() => document.body.dataset.camera)).toBe('clip');
    expect(await page.textContent('#source-label')).toMatch(/testsrc2-320x240\.mp4 \(file\)/);
    expect(await page.$$eval('#camera option', (o) => o.map((x) => (x as HTMLOptionElement).value))).toEqual(['desk', 'clip', 'door']);
    expect(await page.inputValue('#camera')).toBe('clip');
    await Promise.all([page.waitForURL(/\/cam\/door\/$/), page.selectOption('#camera', 'door')]);
    await page.waitForFunction(() => document.body.dataset.camera === 'door');
    await page.waitForSelector('#banner:not([hidden])');
    expect(await page.textContent('#banner')).toMatch(/connection refused/);
    await page.close();
  });

  it("each camera's viewer changes that camera only", async () => {
    const desk = await openViewer(browser, s, { path: '/cam/desk/' });
    const clip = await openViewer(browser, s, { path: '/cam/clip/' });
    for (const p of [desk, clip]) await p.waitForFunction(() => document.body.dataset.ready === '1');
    await desk.fill('#quality-n', '44');
    await desk.dispatchEvent('#quality-n', 'change');
    await desk.waitForFunction(() => document.body.dataset.revision === '2');
    await clip.waitForTimeout(500);
    expect(await clip.inputValue('#quality-n')).toBe('80');
    expect(await clip.evaluate(() => document.body.dataset.revision)).toBe('1');
    await desk.close();
    await clip.close();
  });
});
