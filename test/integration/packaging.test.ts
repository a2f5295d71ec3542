/**
 * The ways users install segcam, checked here without root side effects: the npm package (what
 * is in it, and that its `segcam` command runs from a fresh install that never built OpenCV),
 * the systemd unit (systemd-analyze), the installer (its Node check, and that with everything
 * present it installs nothing: fake apt-get, dpkg-query and npm on PATH), the Dockerfile and the
 * Home Assistant add-on (parsed and cross-checked: there is no container engine here, so no image
 * is built).
 */
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { type Config, parseConfig } from '../../server/config/config.js';
import { CAMERA_NAME } from '../../shared/status.js';
import { ROOT, removeTempDirs, startServer, tempDir } from '../helpers/server.js';

afterAll(removeTempDirs);

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** exec runs a command to its end and resolves with its status and output (it rejects only when the command cannot start). */
function exec(cmd: string, args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: o.cwd ?? ROOT, env: o.env ?? process.env, timeout: o.timeout ?? 60_000, maxBuffer: 64 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && typeof (err as NodeJS.ErrnoException).code === 'string') return reject(err);
      resolve({ code: err ? ((err as { code?: number | null }).code ?? null) : 0, stdout, stderr });
    });
  });
}

const has = async (tool: string): Promise<boolean> => (await exec('sh', ['-c', `command -v ${tool}`])).code === 0;
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
const pkg = JSON.parse(read('package.json')) as { version: string; engines: { node: string } };
/** run parses a command line and environment the way segcam does at start (a bad flag throws). */
const run = (argv: string[], env: NodeJS.ProcessEnv = {}): Config => {
  const c = parseConfig(argv, env);
  if (!('run' in c)) throw new Error('not a command that runs the server');
  return c.run;
};

/** The shell scripts pass `bash -n`, and shellcheck when it is installed (Debian's shellcheck). */
async function lintShell(path: string): Promise<void> {
  const syntax = await exec('bash', ['-n', join(ROOT, path)]);
  expect(syntax.stderr).toBe('');
  expect(syntax.code).toBe(0);
  if (await has('shellcheck')) {
    const lint = await exec('shellcheck', [join(ROOT, path)]);
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.code).toBe(0);
  }
}

describe('the npm package', () => {
  let dir: string;
  let tarball: string;
  let files: string[];
  beforeAll(async () => {
    expect(existsSync(join(ROOT, 'dist/server/main.js')), 'dist/ is built by the global setup').toBe(true);
    dir = tempDir('segcam-pack-');
    const packed = await exec('npm', ['pack', '--json', '--pack-destination', dir], { timeout: 120_000 });
    expect(packed.code, packed.stderr).toBe(0);
    // lifecycle scripts (prepack) may print before the JSON
    const info = JSON.parse(packed.stdout.slice(packed.stdout.search(/^\[\s*\{/m))) as { filename: string; files: { path: string }[] }[];
    tarball = join(dir, info[0]!.filename);
    files = info[0]!.files.map((f) => f.path);
  }, 150_000);

  it('holds the built server and viewer, the packaging and the installer, and no tests, sources or bench output', () => {
    const manifest = JSON.parse(read('package.json')) as { bin?: unknown; files?: unknown };
    expect(manifest.bin, 'package.json "bin"').toEqual({ segcam: 'dist/server/main.js' });
    expect(manifest.files, 'package.json "files" (dist/ is git-ignored, so npm packs it only when named there)').toEqual(
      expect.arrayContaining(['dist/server', 'dist/client', 'dist/shared']),
    );
    for (const f of [
      'package.json',
      'README.md',
      'dist/server/main.js',
      'dist/server/camera/main.js',
      'dist/client/index.html',
      'dist/client/app.js',
      'dist/shared/protocol.js',
      'packaging/segcam.service',
      'packaging/home-assistant/config.yaml',
      'scripts/install.sh',
    ]) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => /^(test|server|client|shared|node_modules|\.bench|\.ci|\.git)\//.test(f) || f.startsWith('dist/test/'))).toEqual([]);
    expect(files.filter((f) => /\.(ts|tsx|mts|cts)$/.test(f))).toEqual([]);
    expect(files.filter((f) => /(^|\/)\.bench(\/|$)|\.tgz$|(^|\/)test-results\//.test(f))).toEqual([]);
    expect(existsSync(tarball)).toBe(true);
  });

  it('installs into an empty folder, and its segcam command runs there without the OpenCV build', async () => {
    const app = tempDir('segcam-install-');
    writeFileSync(join(app, 'package.json'), '{ "name": "segcam-install-check", "private": true }\n');
    // --ignore-scripts: the OpenCV binding is not compiled, so anything below that loads it fails
    const installed = await exec('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline', '--loglevel=error', tarball], {
      cwd: app,
      timeout: 300_000,
    });
    expect(installed.code, installed.stderr).toBe(0);
    const bin = join(app, 'node_modules/.bin/segcam');
    expect(statSync(bin).mode & 0o111, 'the bin is executable').not.toBe(0);
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);

    // the binding really is unusable in that folder ...
    const cv = await exec(process.execPath, ['-e', "require('@u4/opencv4nodejs')"], { cwd: app });
    expect(cv.code).not.toBe(0);
    // ... and still the front answers: it never loads OpenCV
    const help = await exec(bin, ['--help'], { cwd: app });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain('usage: segcam [flags]');
    expect(help.stderr).toBe('');
    const version = await exec(bin, ['--version'], { cwd: app });
    expect(version.stdout.trim()).toBe(`segcam ${pkg.version}`);
    const bad = await exec(bin, ['--port', 'x'], { cwd: app });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^segcam: --port must be/);
  }, 330_000);
});

/** unit reads a systemd unit file into its settings: "Section.Key" → values, in order. */
function unit(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = s[1]!;
      continue;
    }
    const eq = line.indexOf('=');
    const key = `${section}.${line.slice(0, eq)}`;
    out.set(key, [...(out.get(key) ?? []), line.slice(eq + 1)]);
  }
  return out;
}

describe('the systemd unit', () => {
  const text = read('packaging/segcam.service');
  const u = unit(text);
  const one = (key: string): string | undefined => u.get(`Service.${key}`)?.at(-1);
  const execStart = one('ExecStart')!.split(/\s+/);

  /** checkable is the unit with ExecStart pointing at this checkout's segcam (systemd-analyze wants an existing program). */
  function checkable(): string {
    const dir = tempDir('segcam-unit-');
    const path = join(dir, 'segcam.service');
    expect(execStart[0]).toBe('/usr/bin/segcam');
    writeFileSync(path, text.replace(/^ExecStart=\/usr\/bin\/segcam /m, `ExecStart=${process.execPath} ${ROOT}dist/server/main.js `));
    return path;
  }

  it('passes systemd-analyze verify without a warning', async () => {
    const r = await exec('systemd-analyze', ['verify', '--man=no', checkable()]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('is sandboxed: systemd-analyze security rates its exposure 2.5 or lower (of 10)', async () => {
    const r = await exec('systemd-analyze', ['security', '--offline=yes', '--no-pager', checkable()]);
    expect(r.code, r.stderr).toBe(0);
    const level = Number(/Overall exposure level for segcam\.service: ([\d.]+)/.exec(r.stdout)?.[1]);
    expect(level).toBeLessThanOrEqual(2.5);
  });

  it('starts segcam with flags and an environment segcam accepts, writing only to its state directory', () => {
    const env = Object.fromEntries((u.get('Service.Environment') ?? []).flatMap((e) => e.split(/\s+/)).map((kv) => kv.split('=', 2) as [string, string]));
    const c = run(execStart.slice(1), env);
    expect(c.host).toBe('127.0.0.1');
    expect(c.dataDir).toBe(`/var/lib/${one('StateDirectory')}`);
    expect(c.tokens.token, 'no token on the command line').toBeNull();
    // the example environment file is accepted as well
    const example = Object.fromEntries(
      read('packaging/segcam.env')
        .split('\n')
        .filter((l) => /^SEGCAM_\w+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(Object.keys(example).length).toBeGreaterThan(0);
    expect(run(execStart.slice(1), { ...env, ...example }).host).toBe('127.0.0.1');
  });

  it('runs as an unprivileged user in the video group, with the cameras and nothing else of /dev', () => {
    expect(one('DynamicUser') === 'yes' || (one('User') !== undefined && one('User') !== 'root')).toBe(true);
    expect(one('SupplementaryGroups')?.split(/\s+/)).toContain('video');
    expect(['closed', 'strict']).toContain(one('DevicePolicy'));
    const allowed = u.get('Service.DeviceAllow') ?? [];
    expect(allowed).toContain('char-video4linux rw');
    expect(
      allowed.filter((d) => d.includes('*')),
      'DeviceAllow= takes no wildcards',
    ).toEqual([]);
    expect(one('PrivateDevices') ?? 'no').toBe('no');
    for (const [k, v] of Object.entries({
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      NoNewPrivileges: 'yes',
      PrivateTmp: 'yes',
      LockPersonality: 'yes',
      ProtectKernelTunables: 'yes',
      SystemCallArchitectures: 'native',
      Restart: 'on-failure',
    })) {
      expect(one(k), k).toBe(v);
    }
    expect(one('RestrictAddressFamilies')?.split(/\s+/)).toEqual(expect.arrayContaining(['AF_UNIX', 'AF_INET', 'AF_INET6']));
    // V8 needs writable and executable memory: see the next test
    expect(u.has('Service.MemoryDenyWriteExecute')).toBe(false);
  });

  it('leaves MemoryDenyWriteExecute off because Node.js cannot run under it', async () => {
    // PR_SET_MDWE (Linux 6.3+) is the kernel's form of the same rule
    const script =
      'import ctypes,os,sys\nif ctypes.CDLL(None).prctl(65,1,0,0,0)!=0: sys.exit(77)\nos.execv(sys.argv[1],[sys.argv[1],"-e","console.log([1,2,3].map(x=>x*2).join())"])';
    const r = await exec('python3', ['-c', script, process.execPath]);
    if (r.code === 77) return; // an older kernel: nothing to show
    expect(r.stdout).not.toContain('2,4,6');
    expect(r.code).not.toBe(0);
  });
});

describe('the installer', () => {
  const ABI = process.versions.modules;
  const NODE_PREFIX = dirname(dirname(realpathSync(process.execPath)));
  let proj: string;
  let bin: string;
  let log: string;
  const FAKES: Record<string, string> = {
    // dpkg-query -W: a line per known package; unknown ones on stderr and status 1, like the real one
    'dpkg-query': `echo "dpkg-query $*" >>"$FAKE_LOG"
status=0
for a in "$@"; do
  case "$a" in -*) continue ;; esac
  if [[ " $FAKE_MISSING " == *" $a "* ]]; then echo "dpkg-query: no packages found matching $a" >&2; status=1
  elif [[ " $FAKE_REMOVED " == *" $a "* ]]; then echo "$a deinstall ok config-files"
  else echo "$a install ok installed"; fi
done
exit $status`,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell script's own ${...}
    'apt-get': 'echo "apt-get $* [DEBIAN_FRONTEND=${DEBIAN_FRONTEND:-}]" >>"$FAKE_LOG"',
    npm: `echo "npm $* [$OPENCV4NODEJS_DISABLE_AUTOBUILD $OPENCV_INCLUDE_DIR $OPENCV_LIB_DIR $OPENCV_BIN_DIR] nodedir=\${npm_config_nodedir:-}" >>"$FAKE_LOG"
if [ "$1" = ci ]; then rm -rf node_modules && mkdir node_modules && echo '{}' >node_modules/.package-lock.json; fi`,
    sudo: 'echo "sudo $*" >>"$FAKE_LOG"; exec "$@"',
  };

  beforeAll(() => {
    const dir = tempDir('segcam-installer-');
    proj = join(dir, 'segcam');
    bin = join(dir, 'bin');
    log = join(dir, 'calls.log');
    mkdirSync(join(proj, 'scripts'), { recursive: true });
    for (const f of ['scripts/install.sh', 'package.json', 'package-lock.json']) copyFileSync(join(ROOT, f), join(proj, f));
    mkdirSync(bin);
    for (const [name, body] of Object.entries(FAKES)) {
      writeFileSync(join(bin, name), `#!/bin/bash\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
    }
  });

  /** nodeModules sets up node_modules as a finished install of `lock` for Node ABI `abi` (null: no node_modules). */
  function nodeModules(lock: string | null, abi = ABI): void {
    rmSync(join(proj, 'node_modules'), { recursive: true, force: true });
    if (lock === null) return;
    mkdirSync(join(proj, 'node_modules'));
    writeFileSync(join(proj, 'node_modules/.package-lock.json'), '{}\n');
    writeFileSync(join(proj, 'node_modules/.segcam-lock'), lock);
    writeFileSync(join(proj, 'node_modules/.segcam-abi'), `${abi}\n`);
  }
  const lockfile = (): string => readFileSync(join(proj, 'package-lock.json'), 'utf8');

  /** install runs the copied installer with the fakes first on PATH; `node` is this Node.js unless `nodeVersion` fakes another. */
  async function install(args: string[], o: { missing?: string; removed?: string; nodeVersion?: string; realDpkg?: boolean } = {}): Promise<Result & { calls: string[] }> {
    writeFileSync(log, '');
    const dirs = [bin];
    if (o.nodeVersion) {
      const old = join(dirname(bin), `node-${o.nodeVersion}`);
      mkdirSync(old, { recursive: true });
      writeFileSync(join(old, 'node'), `#!/bin/bash\nif [ "$1" = --version ]; then echo ${o.nodeVersion}; else exec ${process.execPath} "$@"; fi\n`);
      chmodSync(join(old, 'node'), 0o755);
      dirs.unshift(old);
    }
    if (o.realDpkg) rmSync(join(bin, 'dpkg-query'), { force: true });
    else if (!existsSync(join(bin, 'dpkg-query'))) {
      writeFileSync(join(bin, 'dpkg-query'), `#!/bin/bash\n${FAKES['dpkg-query']}\n`);
      chmodSync(join(bin, 'dpkg-query'), 0o755);
    }
    const env = {
      PATH: [...dirs, dirname(process.execPath), '/usr/bin', '/bin'].join(':'),
      HOME: dirname(bin),
      LANG: 'C.UTF-8',
      FAKE_LOG: log,
      FAKE_MISSING: o.missing ?? '',
      FAKE_REMOVED: o.removed ?? '',
    };
    const r = await exec('bash', [join(proj, 'scripts/install.sh'), ...args], { cwd: dirname(bin), env });
    return { ...r, calls: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
  }
  const tool = (calls: string[], name: string): string[] => calls.filter((c) => c.startsWith(`${name} `));

  it('passes bash -n and shellcheck, as do .ci/run and the add-on script', async () => {
    await lintShell('scripts/install.sh');
    await lintShell('.ci/run');
    await lintShell('packaging/home-assistant/run.sh');
  });

  it('stops before apt-get when Node.js is older than package.json asks, saying what to install', async () => {
    expect(pkg.engines.node).toBe('>=20.19');
    for (const old of ['v18.19.0', 'v20.18.3']) {
      const r = await install(['--no-start'], { nodeVersion: old });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`segcam needs Node.js 20.19 or newer; this machine has ${old}`);
      expect(r.stderr).toContain('https://deb.nodesource.com/setup_20.x');
      expect(r.stderr).toContain('sudo apt-get install -y nodejs');
      expect(r.stderr).toContain('nvm install 20');
      expect(r.calls).toEqual([]);
    }
  });

  it('accepts a newer Node.js than the minimum', async () => {
    nodeModules(lockfile());
    for (const v of ['v20.19.0', 'v22.1.0']) {
      const r = await install(['--no-start'], { nodeVersion: v });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`node ${v} (needs 20.19 or newer): ok`);
    }
  });

  it('with everything installed, installs nothing and says so', async () => {
    nodeModules(lockfile());
    const r = await install(['--no-start']);
    expect(r.code, r.stderr).toBe(0);
    expect(tool(r.calls, 'dpkg-query')).toHaveLength(1);
    expect(tool(r.calls, 'apt-get')).toEqual([]);
    expect(tool(r.calls, 'npm')).toEqual([]);
    expect(r.stdout).toMatch(/Debian packages: all \d+ already installed/);
    expect(r.stdout).toContain('npm packages: up to date');
  });

  it('installs only the Debian packages that are missing (or removed), with the ones the tests need', async () => {
    nodeModules(lockfile());
    const r = await install(['--no-start'], { missing: 'mosquitto v4l-utils', removed: 'gstreamer1.0-plugins-bad' });
    expect(r.code, r.stderr).toBe(0);
    const apt = tool(
      r.calls.map((c) => c.replace(/^sudo /, '')),
      'apt-get',
    );
    expect(apt[0]).toMatch(/^apt-get update/);
    expect(apt[1]).toBe('apt-get install -y -qq --no-install-recommends v4l-utils gstreamer1.0-plugins-bad mosquitto [DEBIAN_FRONTEND=noninteractive]');
    expect(apt).toHaveLength(2);
    // every package it checks for: .ci/setup.sh's, and the ones added since
    const asked = tool(r.calls, 'dpkg-query')[0]!
      .split(' ')
      .filter((a) => !a.startsWith('-') && a !== 'dpkg-query');
    for (const p of [
      'libopencv-dev',
      'ffmpeg',
      'chromium',
      'gir1.2-gst-rtsp-server-1.0',
      'gstreamer1.0-libav',
      'mosquitto',
      'python3-onnx',
      'python3-numpy',
      'v4l-utils',
      'gstreamer1.0-plugins-bad',
      'build-essential',
      'curl',
    ]) {
      expect(asked).toContain(p);
    }
  });

  it('runs npm ci with the OpenCV variables when node_modules is missing, stale or built for another Node.js, once', async () => {
    for (const state of [null, '{"stale": true}\n', 'same-lock-other-abi']) {
      if (state === 'same-lock-other-abi') nodeModules(lockfile(), '1');
      else nodeModules(state);
      const r = await install(['--no-start']);
      expect(r.code, r.stderr).toBe(0);
      const npm = tool(r.calls, 'npm');
      expect(npm).toHaveLength(1);
      expect(npm[0]).toMatch(/^npm ci --no-audit --no-fund \[1 \/usr\/include\/opencv4 \/usr\/lib\/[a-z0-9_]+-linux-gnu\w* \/usr\/bin\] /);
      // node-gyp builds against this Node's headers when they are installed beside it (no download)
      expect(npm[0]!.split(' nodedir=')[1]).toBe(existsSync(join(NODE_PREFIX, 'include/node/node.h')) ? NODE_PREFIX : '');
      expect(readFileSync(join(proj, 'node_modules/.segcam-lock'), 'utf8')).toBe(lockfile());
      expect(readFileSync(join(proj, 'node_modules/.segcam-abi'), 'utf8').trim()).toBe(ABI);
      const again = await install(['--no-start']);
      expect(tool(again.calls, 'npm')).toEqual([]);
    }
  });

  it('ends by starting segcam (npm start) unless told --no-start, and refuses unknown arguments', async () => {
    nodeModules(lockfile());
    const r = await install([]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.calls.at(-1)).toMatch(/^npm start /);
    const bad = await install(['--start-later']);
    expect(bad.code).toBe(2);
    expect(bad.calls).toEqual([]);
  });

  it('on this machine, after the install, finds every Debian package it wants already there (real dpkg-query)', async () => {
    nodeModules(lockfile());
    const r = await install(['--no-start'], { realDpkg: true });
    expect(r.code, r.stderr).toBe(0);
    expect(tool(r.calls, 'apt-get'), r.stdout).toEqual([]);
    expect(r.stdout).toMatch(/Debian packages: all \d+ already installed/);
  });

  it('.ci/run installs with the installer, then runs the tests', () => {
    const lines = read('.ci/run')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(lines).toEqual(['set -euo pipefail', 'cd "$(dirname "$0")/.."', 'bash scripts/install.sh --no-start', 'npm test']);
  });
});

interface Instruction {
  op: string;
  args: string;
}

/** dockerfile reads a Dockerfile into its instructions (continuation lines joined, comments dropped), one list per stage. */
function dockerfile(text: string): Instruction[][] {
  const joined: string[] = [];
  let cur = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (!line && !cur)) continue;
    if (line.endsWith('\\')) {
      cur += `${line.slice(0, -1)} `;
      continue;
    }
    joined.push(cur + line);
    cur = '';
  }
  const stages: Instruction[][] = [];
  for (const l of joined) {
    if (!l) continue;
    const m = /^(\w+)\s+([\s\S]*)$/.exec(l)!;
    const ins = { op: m[1]!.toUpperCase(), args: m[2]!.replace(/\s+/g, ' ').trim() };
    if (ins.op === 'FROM') stages.push([]);
    if (ins.op === 'ARG' && !stages.length) continue; // ARG before the first FROM
    stages.at(-1)!.push(ins);
  }
  return stages;
}
const runs = (stage: Instruction[]): string[] => stage.filter((i) => i.op === 'RUN').map((i) => i.args);
/** aptPackages lists what a stage's `apt-get install` lines install. */
const aptPackages = (stage: Instruction[]): string[] =>
  runs(stage).flatMap((r) => [...r.matchAll(/apt-get install ((?:-\S+ )*)([^&|;]+)/g)].flatMap((m) => m[2]!.trim().split(' ')));

/** The Debian packages holding the OpenCV libraries this checkout's binding links (the image must install them to run it). */
async function bindingPackages(): Promise<string[]> {
  const binding = join(ROOT, 'node_modules/@u4/opencv4nodejs/build/Release/opencv4nodejs.node');
  // dpkg knows the files under /usr/lib; ldd may find them through the merged-/usr link /lib
  const libs = [...(await exec('ldd', [binding])).stdout.matchAll(/=>\s+(\S*libopencv_\S+)/g)].map((m) => m[1]!.replace(/^\/lib\//, '/usr/lib/'));
  expect(libs.length).toBeGreaterThan(3);
  const owners = await exec('dpkg-query', ['-S', ...libs]);
  expect(owners.code, owners.stderr).toBe(0);
  return [
    ...new Set(
      owners.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(':')[0]!),
    ),
  ].sort();
}

/** checkOpenCvVars: the line that builds the binding sets every variable that keeps it from downloading OpenCV. */
function checkOpenCvVars(line: string | undefined): void {
  expect(line).toBeDefined();
  expect(line).toContain('OPENCV4NODEJS_DISABLE_AUTOBUILD=1');
  expect(line).toContain('OPENCV_INCLUDE_DIR=/usr/include/opencv4');
  expect(line).toMatch(/OPENCV_LIB_DIR="?\/usr\/lib\/(\$\(gcc -print-multiarch\)|x86_64-linux-gnu)/);
  expect(line).toContain('OPENCV_BIN_DIR=/usr/bin');
}

describe('the Dockerfile', () => {
  const stages = dockerfile(read('Dockerfile'));
  const final = stages.at(-1)!;
  const get = (op: string, stage = final): string[] => stage.filter((i) => i.op === op).map((i) => i.args);

  it('builds on Debian 12 with a Node.js that package.json accepts, and OpenCV from Debian', () => {
    for (const s of stages) expect(s[0]!.args).toMatch(/^node:(\d+)-bookworm(-slim)?(\s|$)/);
    expect(Number(/^node:(\d+)/.exec(final[0]!.args)![1])).toBeGreaterThanOrEqual(20);
    const build = stages[0]!;
    expect(aptPackages(build)).toEqual(expect.arrayContaining(['libopencv-dev', 'build-essential', 'python3']));
    const ci = runs(build).findIndex((r) => /\bnpm ci\b/.test(r));
    checkOpenCvVars(runs(build)[ci]);
    const built = runs(build).findIndex((r) => r.includes('node scripts/build.mjs'));
    expect(built).toBeGreaterThan(ci);
    expect(runs(build)[built]).toMatch(/node scripts\/build\.mjs && npm prune --omit=dev/);
  });

  it('runs as a non-root user in the video group, with /data as a volume, port 8080 and segcam as the entrypoint', () => {
    const user = get('USER').at(-1);
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user!.split(':')[0]);
    expect(runs(final).some((r) => new RegExp(`usermod -aG video ${user}\\b`).test(r))).toBe(true);
    expect(runs(final).some((r) => new RegExp(`chown ${user}(:\\w+)? /data`).test(r))).toBe(true);
    expect(get('VOLUME')).toEqual(['/data']);
    expect(get('EXPOSE')).toEqual(['8080']);
    const entry = JSON.parse(get('ENTRYPOINT').at(-1)!) as string[];
    expect(entry).toEqual(['node', 'dist/server/main.js', '--host', '0.0.0.0', '--data-dir', '/data']);
    const c = run(entry.slice(2));
    expect([c.host, c.port, c.dataDir]).toEqual(['0.0.0.0', 8080, '/data']);
    for (const f of ['/app/dist', '/app/node_modules', '/app/package.json']) expect(get('COPY').some((c) => c.startsWith('--from=build ') && c.includes(f))).toBe(true);
  });

  it('installs the OpenCV libraries the binding links in the image it runs in', async () => {
    const need = await bindingPackages();
    expect(aptPackages(final)).toEqual(expect.arrayContaining(need));
    expect(aptPackages(final)).toContain('v4l-utils');
    expect(aptPackages(final)).not.toContain('libopencv-dev');
  });

  it('checks its health at /healthz with node (no curl in the image): passing while segcam runs, failing when it does not', async () => {
    const hc = get('HEALTHCHECK').at(-1)!;
    const cmd = JSON.parse(hc.slice(hc.indexOf('CMD ') + 4)) as string[];
    expect(cmd[0]).toBe('node');
    expect(cmd.join(' ')).toContain('/healthz');
    const s = await startServer({ args: ['--source', 'demo', '--width', '160', '--height', '120'] });
    try {
      const ok = await exec(process.execPath, cmd.slice(1), { env: { ...process.env, SEGCAM_PORT: String(s.port) } });
      expect(ok.code).toBe(0);
    } finally {
      await s.stop();
    }
    const down = await exec(process.execPath, cmd.slice(1), { env: { ...process.env, SEGCAM_PORT: String(s.port) } });
    expect(down.code).toBe(1);
  });

  it('leaves build output, modules and git out of the build context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim());
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.bench', '.git', 'test-results']));
  });
});

describe('the Home Assistant add-on', () => {
  const dir = 'packaging/home-assistant';
  const config = parseYaml(read(`${dir}/config.yaml`)) as Record<string, unknown> & {
    arch: string[];
    options: { cameras: { name: string; source: string }[]; allow_hosts: string[] };
    schema: { cameras: Record<string, string>[] };
  };
  const stages = dockerfile(read(`${dir}/Dockerfile`));

  it('describes the add-on: the package version, startup, port 8080, the camera, the watchdog on /healthz', () => {
    for (const k of ['name', 'version', 'slug', 'description', 'arch']) expect(config[k], k).toBeDefined();
    expect(config.version).toBe(pkg.version);
    expect(config.slug).toMatch(/^[a-z0-9_]+$/);
    expect(config.startup).toBe('application');
    expect(config.ports).toEqual({ '8080/tcp': 8080 });
    expect(config.devices).toContain('/dev/video0');
    expect(config.watchdog).toBe('http://[HOST]:[PORT:8080]/healthz');
    expect(config.init).toBe(false);
    for (const a of config.arch) expect(['amd64', 'aarch64', 'armv7', 'armhf', 'i386']).toContain(a);
  });

  it('validates camera names as segcam does, and its default options pass its own schema', () => {
    const pattern = /^match\((.+)\)\??$/.exec(config.schema.cameras[0]!.name!)![1]!;
    const ha = new RegExp(pattern);
    for (const name of ['main', 'door-1', 'a_b', '0', 'Door', '-x', 'a b', 'x'.repeat(32), 'x'.repeat(33), '']) {
      expect(ha.test(name), name).toBe(CAMERA_NAME.test(name));
    }
    for (const c of config.options.cameras) {
      expect(ha.test(c.name)).toBe(true);
      expect(typeof c.source).toBe('string');
    }
    // every option key has a schema entry
    for (const k of Object.keys(config.options)) expect(config.schema).toHaveProperty(k);
  });

  it('builds on Debian 12 for each of its architectures, with the OpenCV variables and an init of its own', () => {
    const build = parseYaml(read(`${dir}/build.yaml`)) as { build_from: Record<string, string> };
    for (const a of config.arch) expect(build.build_from[a], a).toMatch(/bookworm/);
    checkOpenCvVars(runs(stages[0]!).find((r) => /npm install -g/.test(r)));
    const entry = JSON.parse(
      stages
        .at(-1)!
        .filter((i) => i.op === 'ENTRYPOINT')
        .at(-1)!.args,
    ) as string[];
    // init: false, so the image brings its own (signals, zombies)
    expect(entry.slice(0, 2)).toEqual(['/usr/bin/tini', '--']);
    expect(entry.at(-1)).toBe('/run.sh');
    expect(aptPackages(stages.at(-1)!)).toContain('tini');
  });

  it('installs the OpenCV libraries the binding links in the image it runs in', async () => {
    expect(aptPackages(stages.at(-1)!)).toEqual(expect.arrayContaining(await bindingPackages()));
  });

  describe('run.sh', () => {
    let work: string;
    let out: string;
    let bin: string;
    beforeAll(() => {
      work = tempDir('segcam-addon-');
      bin = join(work, 'bin');
      out = join(work, 'argv.json');
      mkdirSync(bin);
      // a segcam that only writes down how it was started
      writeFileSync(join(bin, 'segcam'), `#!${process.execPath}\nrequire('node:fs').writeFileSync(process.env.ARGV_OUT, JSON.stringify(process.argv.slice(2)));\n`);
      chmodSync(join(bin, 'segcam'), 0o755);
    });
    async function start(options: unknown): Promise<Result & { argv: string[] | null }> {
      rmSync(out, { force: true });
      writeFileSync(join(work, 'options.json'), JSON.stringify(options));
      const env = {
        PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`,
        SEGCAM_ADDON_OPTIONS: join(work, 'options.json'),
        SEGCAM_ADDON_DATA: join(work, 'data'),
        TMPDIR: work,
        ARGV_OUT: out,
      };
      const r = await exec('bash', [join(ROOT, dir, 'run.sh')], { env });
      return { ...r, argv: existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as string[]) : null };
    }

    it('starts segcam with the default options as segcam parses them', async () => {
      const r = await start(config.options);
      expect(r.code, r.stderr).toBe(0);
      const c = run(r.argv!);
      expect(c.host).toBe('0.0.0.0');
      expect(c.port).toBe(8080);
      expect(c.dataDir).toBe(join(work, 'data'));
      expect(existsSync(c.dataDir)).toBe(true);
      expect(c.cameras.map((x) => [x.name, x.source.text])).toEqual([['main', 'auto']]);
      expect(c.allowHosts).toEqual(['homeassistant.local']);
      expect(c.tokens.token).toBeNull();
      expect(c.tokens.tokenFile).toBeNull();
    });

    it('turns cameras with their own options, tokens and switches into segcam flags and files', async () => {
      const r = await start({
        cameras: [
          { name: 'door', source: 'rtsp://10.0.0.5/stream', rtsp_transport: 'udp', analyse: 'always' },
          { name: 'bench', source: '0', width: 1280, height: 720, fps: 15, fourcc: 'MJPG' },
        ],
        allow_hosts: ['homeassistant.local', 'ha.example.org'],
        token: 'control-token-1234',
        view_token: 'view-token-5678',
        rotate_token: true,
        quiet: true,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.argv!.join(' ')).not.toContain('control-token-1234');
      const c = run(r.argv!);
      const [door, bench] = c.cameras;
      expect([door!.name, door!.source.text, door!.analyse, door!.capture.rtspTransport]).toEqual(['door', 'rtsp://10.0.0.5/stream', 'always', 'udp']);
      expect([bench!.name, bench!.source.kind, bench!.capture.width, bench!.capture.height, bench!.capture.fps, bench!.capture.fourcc]).toEqual([
        'bench',
        'camera',
        1280,
        720,
        15,
        'MJPG',
      ]);
      expect(c.allowHosts).toEqual(['homeassistant.local', 'ha.example.org']);
      expect(readFileSync(c.tokens.tokenFile!, 'utf8').trim()).toBe('control-token-1234');
      expect(statSync(c.tokens.tokenFile!).mode & 0o077).toBe(0);
      expect(readFileSync(c.tokens.viewTokenFile!, 'utf8').trim()).toBe('view-token-5678');
      expect([c.tokens.rotate, c.quiet]).toEqual([true, true]);
    });

    it('refuses two cameras of one name, and a broken options file, without starting segcam', async () => {
      const twice = await start({
        cameras: [
          { name: 'a', source: 'demo' },
          { name: 'a', source: '0' },
        ],
      });
      expect(twice.code).not.toBe(0);
      expect(twice.stderr).toContain('two cameras are named "a"');
      expect(twice.argv).toBeNull();
      writeFileSync(join(work, 'broken.json'), '{');
      const broken = await exec('bash', [join(ROOT, dir, 'run.sh')], {
        env: {
          PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`,
          SEGCAM_ADDON_OPTIONS: join(work, 'broken.json'),
          SEGCAM_ADDON_DATA: join(work, 'data'),
          TMPDIR: work,
          ARGV_OUT: out,
        },
      });
      expect(broken.code).not.toBe(0);
      expect(broken.stderr).toContain('cannot read the options');
    });
  });
});
