/**
 * Generated test inputs: H.264 clips made by ffmpeg from its lavfi test sources (never downloaded).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './root.js';

const run = promisify(execFile);

/** FIXTURES is where generated clips live (ignored by git). */
export const FIXTURES = `${ROOT}.bench/fixtures/`;

/** CLIPS are the generated clips: name → ffmpeg lavfi input and length. */
export const CLIPS = {
  /** 2 s testsrc2 at 320x240 / 30 fps: colour bars and moving shapes */
  small: { file: 'testsrc2-320x240.mp4', lavfi: 'testsrc2=size=320x240:rate=30', seconds: 2 },
  /** 2 s testsrc2 at 1280x720: frames big enough for the allocator to matter */
  hd: { file: 'testsrc2-1280x720.mp4', lavfi: 'testsrc2=size=1280x720:rate=30', seconds: 2 },
  /** one moving red box and two still red boxes on grey, for the motion test */
  motion: {
    file: 'motion2-320x240.mp4',
    lavfi:
      "color=c=0x808080:size=320x240:rate=30[bg];color=c=red:size=40x40:rate=30[box];[bg][box]overlay=x='mod(t*80,280)':y=100,drawbox=x=20:y=20:w=40:h=40:color=red:t=fill,drawbox=x=240:y=160:w=40:h=40:color=red:t=fill[out0]",
    seconds: 4,
  },
} as const;

/** clipPath returns a generated clip's path. */
export function clipPath(name: keyof typeof CLIPS): string {
  return join(FIXTURES, CLIPS[name].file);
}

/** makeClip renders a clip with ffmpeg (H.264, yuv420p) unless it exists. */
export async function makeClip(file: string, lavfi: string, seconds: number): Promise<string> {
  mkdirSync(FIXTURES, { recursive: true });
  const out = join(FIXTURES, file);
  if (existsSync(out)) return out;
  await run('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    lavfi,
    '-t',
    String(seconds),
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-pix_fmt',
    'yuv420p',
    '-g',
    '30',
    `${out}.tmp.mp4`,
  ]);
  renameSync(`${out}.tmp.mp4`, out);
  return out;
}

/** ensureClips makes every clip the tests use. */
export async function ensureClips(): Promise<void> {
  for (const c of Object.values(CLIPS)) await makeClip(c.file, c.lavfi, c.seconds);
}
