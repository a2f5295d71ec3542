/**
 * Flags and environment variables: every bad value is one clear sentence and a non-zero exit,
 * before anything starts.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, FLAGS, envName, parseConfig } from '../../server/config.js';
import { runCli } from '../helpers/server.js';

const parse = (args: string[], env: NodeJS.ProcessEnv = {}) => parseConfig(args, env);
const fails = (args: string[], pattern: RegExp, env: NodeJS.ProcessEnv = {}): void => {
  expect(() => parse(args, env)).toThrow(ConfigError);
  expect(() => parse(args, env)).toThrow(pattern);
};

describe('config', () => {
  it('has defaults', () => {
    const c = parse([])!;
    expect(c).toMatchObject({ port: 8080, host: '127.0.0.1', width: 640, height: 480, fps: 30, rtspTransport: 'tcp', loop: true, initialSettings: null });
    expect(c.source).toMatchObject({ kind: 'auto' });
    expect(c.auth?.token).toMatch(/^[\w-]{20,}$/); // generated
  });

  it('parses sources of every kind', () => {
    expect(parse(['--source', '2'])!.source).toMatchObject({ kind: 'camera', index: 2 });
    expect(parse(['--source', '/dev/video1'])!.source).toMatchObject({ kind: 'camera', index: 1, device: '/dev/video1' });
    expect(parse(['--source', 'rtsp://u:secret@127.0.0.1:8554/x'])!.source).toMatchObject({ kind: 'url' });
    expect(parse(['--source', 'demo'])!.source).toMatchObject({ kind: 'demo' });
  });

  it('parses ranges, space and quality into initial settings', () => {
    const c = parse(['--space', 'hsv', '--range', 'ball=5,100,100:20,255,255', '--range', '170,80,80:10,255,255', '--quality', '60'])!;
    expect(c.initialSettings).toMatchObject({ space: 'hsv', quality: 60, blobs: true, ranges: [{ name: 'ball', lower: [5, 100, 100], upper: [20, 255, 255] }, { name: 'range2', lower: [170, 80, 80] }] });
  });

  it('--no-blobs (or SEGCAM_BLOBS=false) turns blob finding off in the initial settings', () => {
    expect(parse(['--no-blobs'])!.initialSettings).toMatchObject({ blobs: false, quality: 80 });
    expect(parse([], { SEGCAM_BLOBS: 'off' })!.initialSettings).toMatchObject({ blobs: false });
    expect(parse(['--blobs'], { SEGCAM_BLOBS: 'off' })!.initialSettings).toMatchObject({ blobs: true });
    fails([], /SEGCAM_BLOBS must be true or false/, { SEGCAM_BLOBS: 'some' });
  });

  it('environment variables set flags; flags win', () => {
    expect(parse([], { SEGCAM_PORT: '9000', SEGCAM_NO_AUTH: '1' })).toMatchObject({ port: 9000, auth: null });
    expect(parse(['--port', '9001'], { SEGCAM_PORT: '9000' })!.port).toBe(9001);
    expect(parse([], { SEGCAM_LOOP: 'false' })!.loop).toBe(false);
    expect(parse(['--no-loop'])!.loop).toBe(false);
  });

  it('rejects bad values with one sentence naming the flag', () => {
    fails(['--port', '70000'], /--port must be a whole number from 0 to 65535, got "70000"/);
    fails(['--quality', '0'], /--quality must be a whole number from 1 to 100/);
    fails(['--fps', 'fast'], /--fps must be a number/);
    fails(['--space', 'lab'], /--space must be hsv or bgr/);
    fails(['--range', '1,2:3,4'], /--range must look like/);
    fails(['--range', '10,200,0:20,100,255'], /lower S \(200\) is above upper S \(100\)/);
    fails(['--range', '0,0,0:200,255,255'], /upper H is 200, outside 0\.\.179/);
    fails(['--source', '/no/such/file.mp4'], /file not found: \/no\/such\/file\.mp4/);
    fails(['--source', 'ftp://x/y'], /unsupported URL scheme "ftp:"/);
    fails(['--bogus'], /Unknown option '--bogus'/);
    fails(['--token', 'short'], /--token must be 8 to 128 characters/);
    fails(['--no-auth', '--token', 'abcdefgh1'], /cannot be combined/);
    fails(['--retry-min', '10', '--retry-max', '5'], /--retry-max \(5\) must not be below --retry-min \(10\)/);
    fails([], /SEGCAM_LOOP must be true or false/, { SEGCAM_LOOP: 'maybe' });
  });

  it('every flag has a help line and an environment variable', () => {
    for (const f of FLAGS.filter((f) => f.flag !== 'help')) expect(envName(f.flag)).toMatch(/^SEGCAM_[A_Z_]*/);
    expect(parse(['--help'])).toBeNull();
  });

  it('the real process: --help lists every flag, a bad flag exits 2 with one line', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const f of FLAGS) expect(help.stdout).toContain(`--${f.flag}`);
    expect(help.stdout).toContain('SEGCAM_MAX_VIEWERS');
    const bad = await runCli(['--port', 'abc']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual(['segcam: --port must be a whole number from 0 to 65535, got "abc".']);
    expect(bad.stdout).toBe('');
  });
});
