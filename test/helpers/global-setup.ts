/**
 * Before any test: the server and viewer must be built (npm test builds them first), and the
 * generated fixtures (video clips) exist. Fixtures are made here with ffmpeg, never downloaded.
 */
import { existsSync } from 'node:fs';
import { ensureClips } from './fixtures.js';

export default async function setup(): Promise<void> {
  if (!existsSync(new URL('../../dist/server/main.js', import.meta.url))) {
    throw new Error('dist/ is missing: run the tests with `npm test` (it builds first)');
  }
  await ensureClips();
}
