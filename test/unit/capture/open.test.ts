/**
 * openReader on file-like sources, with real OpenCV and real files: a recording folder opens as a
 * recording, an image (JPEG, PNG, BMP, WebP) as a still at the camera's rate, and what cannot
 * be opened says why.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OpenFailure, openReader, type FrameReader } from '../../../server/capture/open.js';
import { DEFAULT_FPS } from '../../../server/capture/recording.js';
import { parseSource } from '../../../server/capture/source.js';
import type { CaptureConfig } from '../../../server/config/config.js';
import { blank, cv } from '../../../server/cv.js';

const OPTIONS: CaptureConfig = {
  width: 64,
  height: 48,
  fps: 25,
  fourcc: null,
  rtspTransport: 'tcp',
  loop: true,
  openTimeoutMs: 1000,
  stallTimeoutMs: 1000,
  retry: { minMs: 50, maxMs: 400 },
  controls: {},
};
const dir = mkdtempSync(join(tmpdir(), 'segcam-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const W = 80;
const H = 60;
const BGR: [number, number, number] = [200, 40, 10];
function image(name: string): string {
  const m = blank(H, W, cv.CV_8UC3, BGR);
  const path = join(dir, name);
  cv.imwrite(path, m);
  m.release();
  return path;
}
const open = (path: string, o: Partial<CaptureConfig> = {}): FrameReader => {
  const spec = parseSource(path);
  if (spec.kind !== 'file') throw new Error(`${path} is a ${spec.kind}`);
  return openReader(spec, { ...OPTIONS, ...o });
};
const failure = (f: () => unknown): OpenFailure => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OpenFailure);
    return e as OpenFailure;
  }
  throw new Error('it opened');
};

describe('openReader on files', () => {
  it('an image of every format OpenCV reads is a still, offered at the camera rate', async () => {
    for (const name of ['s.jpg', 's.png', 's.bmp', 's.webp']) {
      const r = open(image(name));
      expect(r, name).toMatchObject({ kind: 'still', width: W, height: H, fps: 25, live: true, controls: null });
      const m = (await r.read())!;
      const px = [...m.getData().subarray(0, 3)];
      for (const [i, v] of px.entries()) expect(Math.abs(v - BGR[i]!), `${name} pixel`).toBeLessThanOrEqual(name === 's.jpg' || name === 's.webp' ? 6 : 0); // lossy: a few levels
      m.release();
      r.close();
    }
    const unpaced = open(join(dir, 's.png'), { fps: 0 }); // --fps 0 would spin: a still then offers DEFAULT_FPS
    expect(unpaced.fps).toBe(DEFAULT_FPS);
    unpaced.close();
  });

  it('a recording folder is a recording; a folder that is not one, and a broken image, say why', () => {
    const rec = join(dir, 'rec');
    mkdirSync(rec);
    const m = blank(H, W, cv.CV_8UC3, 90);
    cv.imwrite(join(rec, '000001.jpg'), m);
    cv.imwrite(join(rec, '000002.jpg'), m);
    m.release();
    writeFileSync(join(rec, 'metadata.jsonl'), '{"seq":1,"file":"000001.jpg","ts":1000}\n{"seq":2,"file":"000002.jpg","ts":1100}\n');
    const r = open(rec);
    expect(r).toMatchObject({ kind: 'recording', width: W, height: H, fps: 10, live: true });
    r.close();
    mkdirSync(join(dir, 'plain'));
    expect(failure(() => open(join(dir, 'plain')))).toMatchObject({
      reason: 'NOT_FOUND',
      message: `cannot open ${join(dir, 'plain')}: ${join(dir, 'plain')} is a folder, but not a recording (it has no metadata.jsonl and no numbered images such as 000001.jpg)`,
    });
    writeFileSync(join(dir, 'broken.png'), 'not a png');
    expect(failure(() => open(join(dir, 'broken.png')))).toMatchObject({ reason: 'NO_SIGNAL', message: expect.stringMatching(/is not a readable image$/) });
    expect(failure(() => open(join(dir, 'none.png')))).toMatchObject({ reason: 'NOT_FOUND', message: `cannot open ${join(dir, 'none.png')}: no such file` });
  });

  it('a recording that was not looked up in the data folder does not open (the front resolves it)', () => {
    const spec = parseSource('recording:20261201-101500-000');
    if (spec.kind !== 'recording') throw new Error('not parsed as a recording');
    expect(failure(() => openReader(spec, OPTIONS))).toMatchObject({
      reason: 'NOT_FOUND',
      message: 'cannot open recording:20261201-101500-000: the recording was not looked up in the data folder',
    });
  });
});
