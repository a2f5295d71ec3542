#!/usr/bin/env node
// Builds dist/: the server and shared modules one file each (esbuild, ESM for Node 20), and the
// viewer as one bundle with its static files. Tests and their helpers are not built: vitest
// runs them from source. A stamp of the sources' newest change lets the tests refuse a stale dist/.
import { cpSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');

function files(dir, ext) {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return files(p, ext);
    return e.name.endsWith(ext) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** newest is the latest modification time of the sources that make dist/ (ms). */
function newest() {
  const all = [...files('server', '.ts'), ...files('shared', '.ts'), ...files('client', '')];
  return Math.max(...all.map((f) => statSync(join(root, f)).mtimeMs));
}

if (process.argv.includes('--stamp')) {
  // only say what the stamp of the current sources is (the tests compare it with dist/BUILD)
  console.log(newest());
  process.exit(0);
}
rmSync(dist, { recursive: true, force: true });
await build({
  entryPoints: [...files('server', '.ts'), ...files('shared', '.ts')].map((f) => join(root, f)),
  outbase: root,
  outdir: dist,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
});
await build({
  entryPoints: [join(root, 'client/main.ts')],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  outfile: join(dist, 'client/app.js'),
  sourcemap: true,
  logLevel: 'warning',
});
for (const f of ['index.html', 'style.css', 'favicon.svg']) cpSync(join(root, 'client', f), join(dist, 'client', f));
mkdirSync(dist, { recursive: true });
writeFileSync(join(dist, 'BUILD'), `${JSON.stringify({ sources: newest(), builtAt: Date.now() })}\n`);
console.log(`built ${relative(root, dist)}/`);
