/**
 * Reading a video file back with ffprobe: its codec and size, its frames, the time they span
 * and the gaps between its keyframes (s).
 */
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Probed is what ffprobe says of a file's video stream. */
export interface Probed {
  codec: string;
  width: number;
  height: number;
  frames: number;
  /** s from the first frame's time to the last's */
  span: number;
  /** s between consecutive keyframes */
  keyGaps: number[];
}

/** probe reads a video file back; a keyframe without a time is an error. */
export async function probe(file: string): Promise<Probed> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v',
    '-show_entries',
    'stream=codec_name,width,height',
    '-show_entries',
    'frame=key_frame,pts_time,best_effort_timestamp_time',
    '-of',
    'json',
    file,
  ]).catch((e: Error) => {
    throw new Error(`ffprobe cannot read ${file} (${existsSync(file) ? `${statSync(file).size} bytes` : 'no such file'}): ${e.message}`);
  });
  const j = JSON.parse(stdout) as {
    streams: { codec_name: string; width: number; height: number }[];
    frames: { key_frame: number; pts_time?: string; best_effort_timestamp_time?: string }[];
  };
  const time = (f: (typeof j.frames)[number]): number => Number(f.pts_time ?? f.best_effort_timestamp_time);
  const ts = j.frames.map(time).filter(Number.isFinite);
  const keys = j.frames.filter((f) => f.key_frame === 1).map(time);
  if (keys.some((t) => !Number.isFinite(t))) throw new Error(`a keyframe without a time in ${file}`);
  const s = j.streams[0]!;
  return {
    codec: s.codec_name,
    width: s.width,
    height: s.height,
    frames: j.frames.length,
    span: ts.length ? Math.max(...ts) - Math.min(...ts) : 0,
    keyGaps: keys.slice(1).map((t, i) => t - keys[i]!),
  };
}
