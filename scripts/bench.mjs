#!/usr/bin/env node
// `npm run bench [-- --quick] [-- --soak SECONDS]` and `npm run screenshot`: builds the bench
// and its helpers (TypeScript, beside the server's own modules) into .bench/build, then runs it.
// The bench is not part of dist/: it is a tool of this repository, not of the package.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, '.bench', 'build');
const files = (dir) =>
  readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return files(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') && !e.name.endsWith('.test.ts') ? [join(root, p)] : [];
  });

rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: [...files('server'), ...files('shared'), ...files('test/bench'), ...files('test/helpers')],
  outbase: root,
  outdir: out,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
});
const [what = 'run', ...rest] = process.argv.slice(2);
const entry = what === 'screenshot' ? 'screenshot.js' : 'run.js';
const args = what === 'screenshot' || what === 'run' ? rest : [what, ...rest];
const r = spawnSync(process.execPath, [join(out, 'test', 'bench', entry), ...args], { stdio: 'inherit' });
process.exit(r.status ?? 1);
