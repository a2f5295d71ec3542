/**
 * The project's folder, found from wherever this file runs (test/helpers under vitest, or the
 * bench's build under .bench/build): the nearest folder up that holds segcam's package.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function find(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'segcam') return `${dir}/`;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the segcam project folder');
    dir = up;
  }
}

/** ROOT is the project folder, with a trailing slash. */
export const ROOT = find();
