/**
 * `npm run screenshot`: remakes client/screenshot.png, the viewer as the README shows it — the
 * demo scene, side by side, with two tuned ranges and the analysis overlay.
 */
import { launchBrowser } from '../helpers/browser.js';
import { ROOT, startServer } from '../helpers/server.js';

const OUT = `${ROOT}client/screenshot.png`;

async function main(): Promise<void> {
  const server = await startServer({ args: ['--source', 'demo', '--width', '640', '--height', '480', '--quiet'] });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
    await page.goto(`${server.base}/?token=${server.token}`);
    await page.waitForFunction(() => window.segcam?.view.current !== null && document.body.dataset.ready === '1');
    await page.evaluate(() =>
      window.segcam.controls.update(
        {
          ranges: [
            { name: 'red', color: '#ff3b30', lower: [170, 100, 80], upper: [10, 255, 255] },
            { name: 'green', color: '#34c759', lower: [45, 120, 100], upper: [70, 255, 255] },
          ],
          open: 3,
          minArea: 200,
        },
        true,
      ),
    );
    await page.click('#views button[data-view="side"]');
    await page.waitForFunction(() => window.segcam.view.current?.view === 'side' && (window.segcam.view.current.analysis?.ranges.length ?? 0) === 2);
    await page.waitForTimeout(1500);
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
