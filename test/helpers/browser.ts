/**
 * Real Chromium (Debian's), driven by playwright-core. `npx playwright install` cannot work
 * here, so the browser is the system one.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import type { ServerHandle } from './server.js';

export const CHROMIUM = process.env.SEGCAM_CHROMIUM ?? '/usr/bin/chromium';

/** launchBrowser starts headless Chromium with the flags this closed network needs. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** openViewer opens a page of the viewer with a token (the first camera's unless `path` says another). */
export async function openViewer(browser: Browser, s: ServerHandle, o: { token?: string | null; path?: string; width?: number; height?: number } = {}): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: o.width ?? 1200, height: o.height ?? 800 } });
  page.on('pageerror', (e) => {
    throw e;
  });
  const token = o.token === undefined ? s.token : o.token;
  await page.goto(`${s.base}${o.path ?? '/'}${token ? `?token=${encodeURIComponent(token)}` : ''}`);
  return page;
}

/** waitFrames waits until frames flow and `n` more have been shown (counted from now). */
export async function waitFrames(page: Page, n = 5): Promise<unknown> {
  const target = (await page.evaluate(() => window.segcam?.view.current?.seq ?? 0)) + n;
  return page.waitForFunction((t) => Number(document.getElementById('hud')?.dataset.fps ?? 0) > 0 && (window.segcam.view.current?.seq ?? 0) > t, target, { timeout: 15_000 });
}
