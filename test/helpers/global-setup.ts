/**
 * Before any test: the server and viewer are built from the current sources (a dist/ older than
 * any source is rebuilt, so that a stale build is never what is tested), and the generated
 * fixtures (video clips) exist. Fixtures are made here with ffmpeg, never downloaded.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ensureClips } from './fixtures.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

export default async function setup(): Promise<void> {
  const stamp = `${root}dist/BUILD`;
  const built = existsSync(stamp) ? (JSON.parse(readFileSync(stamp, 'utf8')) as { sources: number }).sources : -1;
  const current = Number(execFileSync(process.execPath, [`${root}scripts/build.mjs`, '--stamp'], { encoding: 'utf8' }).trim());
  if (built !== current) execFileSync(process.execPath, [`${root}scripts/build.mjs`], { stdio: 'inherit' });
  await ensureClips();
}
