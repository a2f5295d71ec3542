/**
 * The test run's watchdog (test/helpers/watchdog-reporter.ts): a test blocked outside
 * JavaScript, where vitest's own timeout cannot fire, ends the run with a sentence naming it
 * and exit code 1, instead of holding CI until its limit.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from '../helpers/root.js';
import { removeTempDirs, tempDir } from '../helpers/server.js';

it('a test blocked in a native wait ends the run with exit code 1 and names the test', async () => {
  const dir = tempDir();
  try {
    // Atomics.wait blocks the worker's thread as a native call does: no timer can run in it.
    // The test first runs for a second, as a real one does (the worker reports it started).
    writeFileSync(
      join(dir, 'blocked.test.js'),
      "it('waits on nothing', async () => { await new Promise((r) => setTimeout(r, 1000)); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120000); }, 1500);\n",
    );
    writeFileSync(
      join(dir, 'vitest.config.mjs'),
      `export default { test: { root: ${JSON.stringify(dir)}, include: ['blocked.test.js'], globals: true, reporters: ['default', ${JSON.stringify(join(ROOT, 'test/helpers/watchdog-reporter.ts'))}] } };\n`,
    );
    const t0 = Date.now();
    const child = spawn(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--config', join(dir, 'vitest.config.mjs')], {
      cwd: ROOT,
      env: { ...process.env, SEGCAM_WATCHDOG_GRACE_MS: '2000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, out).toBe(1);
    expect(out).toMatch(/watchdog: the test "waits on nothing" in \S+blocked\.test\.js has not finished after \d+ s/);
    expect(Date.now() - t0).toBeLessThan(60_000); // long before the 120 s wait would have ended
  } finally {
    removeTempDirs();
  }
}, 90_000);
