/**
 * Real Chromium (Debian's), driven by playwright-core. `npx playwright install` cannot work
 * here, so the browser is the system one.
 */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.SEGCAM_CHROMIUM ?? '/usr/bin/chromium';

/** launchBrowser starts headless Chromium with the flags this closed network needs. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
