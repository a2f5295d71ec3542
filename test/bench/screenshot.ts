/**
 * `npm run screenshot`: remakes client/screenshot.png, the viewer as the README shows it — the
 * demo scene side by side (original and masked), two tuned colour ranges, their targets drawn
 * as rotated boxes and listed, the crosshair, and an include zone with its coverage.
 */
import { launchBrowser } from '../helpers/browser.js';
import { ROOT, startServer } from '../helpers/server.js';

const OUT = `${ROOT}client/screenshot.png`;

async function main(): Promise<void> {
  const server = await startServer({ args: ['--source', 'demo', '--width', '640', '--height', '480', '--quiet'] });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && console.error(`page console: ${m.text()}`));
    await page.goto(`${server.base}/?token=${server.token}`);
    await page.waitForFunction(() => window.segcam?.view.current !== null && document.body.dataset.ready === '1', null, { timeout: 60_000 });
    await page.evaluate(() =>
      window.segcam.controls.update(
        {
          method: {
            kind: 'colour',
            space: 'hsv',
            ranges: [
              { name: 'red', color: '#ff3b30', lower: [170, 100, 80], upper: [10, 255, 255] },
              { name: 'green', color: '#34c759', lower: [45, 120, 100], upper: [70, 255, 255] },
            ],
          },
          open: 3,
          minArea: 200,
          targets: { max: 3 },
          zones: [
            {
              name: 'bench',
              kind: 'include',
              points: [
                [0.04, 0.56],
                [0.42, 0.56],
                [0.42, 0.95],
                [0.04, 0.95],
              ],
            },
          ],
        },
        true,
      ),
    );
    await page.click('#views button[data-view="side"]');
    // fold the cleanup section so that the targets and zones show beside the picture
    await page.click('details:has(#blur) > summary');
    await page.waitForFunction(
      () => {
        const a = window.segcam.view.current?.analysis;
        return window.segcam.view.current?.view === 'side' && a?.ranges.length === 2 && (a.targets ?? []).every((r) => r.targets.length > 0) && (a.zones?.length ?? 0) === 1;
      },
      null,
      { timeout: 15_000 },
    );
    await page.waitForTimeout(1500);
    await page.mouse.move(0, 0); // no hover readout
    await page.screenshot({ path: OUT });
    console.log(`wrote ${OUT}`);
  } finally {
    await browser.close();
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
