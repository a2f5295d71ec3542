/**
 * The whole configuration from flags, environment and config file: cameras, settings patch,
 * tokens options, and one clear sentence for every bad value, before anything starts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig, parseRange, type Config } from '../../../server/config/config.js';
import { ConfigError } from '../../../server/config/flags.js';
import { clipPath } from '../../helpers/fixtures.js';
import { removeTempDirs, runCli, tempDir } from '../../helpers/server.js';

afterAll(removeTempDirs);

const parse = (args: string[], env: NodeJS.ProcessEnv = {}): Config => {
  const c = parseConfig(args, env);
  if (!('run' in c)) throw new Error('not a run');
  return c.run;
};
const fails = (args: string[], pattern: RegExp, env: NodeJS.ProcessEnv = {}): void => {
  expect(() => parseConfig(args, env)).toThrow(ConfigError);
  expect(() => parseConfig(args, env)).toThrow(pattern);
};

describe('config', () => {
  it('has defaults: one camera named main on auto, loopback, port 8080', () => {
    const c = parse([]);
    expect(c).toMatchObject({ port: 8080, host: '127.0.0.1', settingsPatch: null, preset: null, maxViewers: 64, cameraTimeoutMs: 10_000 });
    expect(c.cameras).toHaveLength(1);
    expect(c.cameras[0]).toMatchObject({
      name: 'main',
      source: { kind: 'auto' },
      analyse: 'watched',
      capture: { width: 640, height: 480, fps: 30, rtspTransport: 'tcp', loop: true, openTimeoutMs: 5000, stallTimeoutMs: 5000, controls: {} },
    });
    expect(c.tokens).toEqual({ noAuth: false, token: null, tokenFile: null, viewToken: null, viewTokenFile: null, rotate: false });
  });

  it('--source is the one camera main; --camera names several, each with the flags as defaults', () => {
    expect(parse(['--source', '2']).cameras[0]).toMatchObject({ name: 'main', source: { kind: 'camera', index: 2 } });
    expect(parse(['--source', '/dev/video1']).cameras[0]!.source).toMatchObject({ kind: 'camera', index: 1, device: '/dev/video1' });
    const c = parse(['--camera', 'door=rtsp://u:secret@127.0.0.1:8554/x', '--camera', 'desk=demo', '--width', '1280', '--analyse', 'always']);
    expect(c.cameras.map((x) => [x.name, x.source.kind, x.capture.width, x.analyse])).toEqual([
      ['door', 'url', 1280, 'always'],
      ['desk', 'demo', 1280, 'always'],
    ]);
    fails(['--camera', 'Door=demo'], /camera name "Door" must be 1-32 of a-z/);
    fails(['--camera', 'a=demo', '--camera', 'a=demo'], /already a camera named "a"/);
    fails(['--camera', 'nodemo'], /--camera must look like NAME=SOURCE/);
    fails(['--camera', 'a=demo', '--source', 'demo'], /--source names the one camera/);
    fails(['--camera', 'a=/no/such.mp4'], /--camera a: file not found: \/no\/such\.mp4/);
  });

  it('a config file names cameras with their own options; a bad one is file:line: field: reason', () => {
    const dir = tempDir();
    const file = join(dir, 'segcam.yaml');
    writeFileSync(
      file,
      `cameras:\n  door:\n    source: rtsp://10.0.0.5/stream\n    rtsp_transport: udp\n    open_timeout: 3\n    analyse: always\n  bench:\n    source: ${clipPath('small')}\n    fps: 15\n    controls: { exposure: 120, auto_exposure: 1 }\n  cam0:\n    source: 0\n`,
    );
    const c = parse(['--config', file]);
    expect(c.cameras.map((x) => x.name)).toEqual(['door', 'bench', 'cam0']);
    expect(c.cameras[0]).toMatchObject({ analyse: 'always', capture: { rtspTransport: 'udp', openTimeoutMs: 3000, stallTimeoutMs: 5000 } });
    expect(c.cameras[1]).toMatchObject({ source: { kind: 'file' }, capture: { fps: 15, controls: { exposure: 120, auto_exposure: 1 } } });
    expect(c.cameras[2]!.source).toMatchObject({ kind: 'camera', index: 0 });
    writeFileSync(file, 'cameras:\n  door:\n    source: demo\n    fps: fast\n');
    fails(['--config', file], new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:4: cameras\\.door\\.fps: `));
    writeFileSync(file, 'cameras:\n  door:\n    source: demo\n    colour: red\n');
    fails(['--config', file], /:3: cameras\.door: unknown field colour\.$/);
    writeFileSync(file, 'cameras:\n  door:\n    source: demo\n  door:\n    source: demo\n');
    fails(['--config', file], /:4: not valid YAML \(Map keys must be unique/);
    writeFileSync(file, 'cameras:\n  Bad Name:\n    source: demo\n');
    fails(['--config', file], /camera name "Bad Name" must be/);
    writeFileSync(file, 'cameras:\n  door:\n    source: demo\n    controls: { shutter: 3 }\n');
    fails(['--config', file], /cameras\.door\.controls: unknown field shutter/);
    fails(['--config', join(dir, 'none.yaml')], /--config: no such file: /);
  });

  it('--range, --space, --quality and --blobs make a patch over whatever is loaded, not a replacement', () => {
    expect(parse(['--quality', '60']).settingsPatch).toEqual({ quality: 60 });
    expect(parse(['--no-blobs']).settingsPatch).toEqual({ blobs: false });
    expect(parse([], { SEGCAM_BLOBS: 'off' }).settingsPatch).toEqual({ blobs: false });
    expect(parse(['--space', 'bgr']).settingsPatch).toEqual({ space: 'bgr' }); // the ranges are converted when it is applied
    const c = parse(['--range', 'ball=5,100,100:20,255,255', '--range', 'red#ff0000=170,80,80:10,255,255', '--range', '1,2,3:4,5,6', '--preset', 'day']);
    expect(c.preset).toBe('day');
    expect(c.settingsPatch!.ranges).toEqual([
      { name: 'ball', lower: [5, 100, 100], upper: [20, 255, 255] },
      { name: 'red', color: '#ff0000', lower: [170, 80, 80], upper: [10, 255, 255] },
      { lower: [1, 2, 3], upper: [4, 5, 6] },
    ]);
    expect(parseRange('#00ff00=1,2,3:4,5,6')).toEqual({ color: '#00ff00', lower: [1, 2, 3], upper: [4, 5, 6] });
  });

  it('environment variables set flags; flags win', () => {
    expect(parse([], { SEGCAM_PORT: '9000', SEGCAM_NO_AUTH: '1' })).toMatchObject({ port: 9000, tokens: { noAuth: true } });
    expect(parse(['--port', '9001'], { SEGCAM_PORT: '9000' }).port).toBe(9001);
    expect(parse([], { SEGCAM_LOOP: 'false' }).cameras[0]!.capture.loop).toBe(false);
    expect(parse(['--no-loop']).cameras[0]!.capture.loop).toBe(false);
    expect(parse([], { SEGCAM_CAMERA: 'a=demo b=demo' }).cameras.map((c) => c.name)).toEqual(['a', 'b']);
    expect(parse([], { SEGCAM_ALLOW_HOST: 'Cam.Example.org' }).allowHosts).toEqual(['cam.example.org']);
  });

  it('rejects bad values with one sentence naming the flag', () => {
    fails(['--port', '70000'], /^--port must be a whole number from 0 to 65535, got "70000"\.$/);
    fails(['--fps', '-1'], /^--fps must be a number from 0 to 240, got "-1"\.$/);
    fails(['--quality', '0'], /--quality must be a whole number from 1 to 100/);
    fails(['--fps', 'fast'], /--fps must be a number/);
    fails(['--space', 'yuv'], /--space must be hsv or bgr or lab, got "yuv"/);
    fails(['--analyse', 'sometimes'], /--analyse must be watched or always/);
    fails(['--range', '1,2:3,4'], /--range must look like/);
    fails(['--range', '10,200,0:20,100,255'], /range 1 \(range1\): lower S \(200\) is above upper S \(100\)/);
    fails(['--range', '0,0,0:200,255,255'], /upper H is 200, outside 0\.\.179/);
    fails(['--range', 'a=0,0,0:1,1,1', '--range', 'a=0,0,0:2,2,2'], /two ranges are named "a"/);
    fails(['--source', '/no/such/file.mp4'], /--source: file not found: \/no\/such\/file\.mp4/);
    fails(['--source', 'ftp://x/y'], /unsupported URL scheme "ftp:"/);
    fails(['--bogus'], /^Unknown option '--bogus'\. See --help\.$/);
    fails(['--token', 'short'], /--token must be 8 to 128 characters/);
    fails(['--no-auth', '--token', 'abcdefgh1'], /cannot be combined/);
    fails(['--token', 'abcdefgh1', '--token-file', '/x'], /give one/);
    fails(['--retry-min', '10', '--retry-max', '5'], /--retry-max \(5\) must not be below --retry-min \(10\)/);
    fails(['--allow-origin', 'https://x.org/path'], /--allow-origin must be an origin/);
    fails([], /SEGCAM_LOOP must be true or false/, { SEGCAM_LOOP: 'maybe' });
  });

  it('the real process: --help and --version, a bad flag exits 2 with one line', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: segcam \[flags\]$/m);
    const version = await runCli(['--version']);
    expect(version.stdout).toMatch(/^segcam \d+\.\d+\.\d+\n$/);
    for (const args of [
      ['--port', 'abc'],
      ['--fps', '-1'],
    ]) {
      const bad = await runCli(args);
      expect(bad.code).toBe(2);
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
      expect(bad.stderr).toMatch(/^segcam: --(port|fps) must be /);
      expect(bad.stdout).toBe('');
    }
  });
});
