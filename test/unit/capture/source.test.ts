/**
 * Source parsing and redaction: every kind of source, and no credential shown anywhere;
 * recordings named by id looked up in a real data folder; what a file-like path is.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  describeFileProblem,
  fileProblem,
  isRecordingDir,
  isStillImage,
  parseSource,
  recordingDir,
  redactSource,
  redactUrls,
  resolveRecordingSource,
  sourceKind,
  SourceSpecError,
} from '../../../server/capture/source.js';

describe('parseSource', () => {
  it('parses every kind without touching the network or the disk', () => {
    expect(parseSource('')).toEqual({ kind: 'auto', text: 'auto' });
    expect(parseSource('demo')).toEqual({ kind: 'demo', text: 'demo' });
    expect(parseSource('2')).toMatchObject({ kind: 'camera', index: 2, device: null });
    expect(parseSource('/dev/video3')).toMatchObject({ kind: 'camera', index: 3, device: '/dev/video3' });
    expect(parseSource('rtsp://cam/stream')).toMatchObject({ kind: 'url', url: 'rtsp://cam/stream' });
    expect(parseSource('HTTPS://cam/x.mjpg')).toMatchObject({ kind: 'url' });
    expect(parseSource('clips/a.mp4')).toMatchObject({ kind: 'file', path: expect.stringMatching(/\/clips\/a\.mp4$/) });
    expect(() => parseSource('ftp://x/y')).toThrow(SourceSpecError);
    expect(() => parseSource('rtsp://[bad')).toThrow(/not a valid URL/);
  });
});

describe('redactSource', () => {
  it('hides the whole userinfo, however many @ it holds', () => {
    expect(redactSource('http://admin:p@ss@host/x')).toBe('http://***@host/x');
    expect(redactSource('rtsp://admin:secret@10.0.0.5:554/s')).toBe('rtsp://***@10.0.0.5:554/s');
    expect(redactSource('rtsp://user@cam/s')).toBe('rtsp://***@cam/s');
    expect(redactSource('rtsp://cam/s')).toBe('rtsp://cam/s');
  });

  it('hides credential-like query parameters, keeping the rest', () => {
    expect(redactSource('http://cam/video.cgi?user=admin&password=hunter2&res=720')).toBe('http://cam/video.cgi?user=***&password=***&res=720');
    for (const p of ['pass', 'pwd', 'token', 'key', 'auth', 'signature', 'api_key', 'Password'])
      expect(redactSource(`http://cam/x?${p}=s3cret&x=1`)).toBe(`http://cam/x?${p}=***&x=1`);
    expect(redactSource('http://cam/x?%70assword=s3cret#frag')).toBe('http://cam/x?%70assword=***#frag');
    expect(redactSource('http://cam/x?flag&view=1')).toBe('http://cam/x?flag&view=1');
  });

  it('leaves what is not a URL alone, and redacts every URL inside a sentence', () => {
    expect(redactSource('/home/me/clip.mp4')).toBe('/home/me/clip.mp4');
    expect(redactUrls('cannot open rtsp://a:b@cam/s (and http://x/y?token=t): refused')).toBe('cannot open rtsp://***@cam/s (and http://x/y?token=***): refused');
  });
});

describe('recording:ID', () => {
  const ID = '20261201-101500-000';

  it('parses recording:ID and recording:CAMERA/ID without touching the disk', () => {
    expect(parseSource(`recording:${ID}`)).toEqual({ kind: 'recording', camera: null, id: ID, text: `recording:${ID}` });
    expect(parseSource(` recording:door/${ID}-2 `)).toEqual({ kind: 'recording', camera: 'door', id: `${ID}-2`, text: `recording:door/${ID}-2` });
    // a file whose name starts so is still a file, written as a path
    expect(parseSource(`./recording:${ID}`)).toMatchObject({ kind: 'file' });
  });

  it('a bad id or camera is one sentence', () => {
    const bad = (t: string): string => {
      try {
        parseSource(t);
      } catch (e) {
        expect(e).toBeInstanceOf(SourceSpecError);
        return (e as Error).message;
      }
      throw new Error(`${t} parsed`);
    };
    expect(bad('recording:')).toBe('recording:: a recording id looks like 20261201-101500-000 (its start time, UTC), got ""');
    expect(bad('recording:yesterday')).toMatch(/^recording:yesterday: a recording id looks like 20261201-101500-000/);
    expect(bad(`recording:Door/${ID}`)).toBe(`recording:Door/${ID}: "Door" is not a camera name (1-32 of a-z, 0-9, _ and -)`);
    expect(bad(`recording:door/../${ID}`)).toMatch(/a recording id looks like/); // nothing leaves the recordings folder
    expect(bad(`recording:../../etc/${ID}`)).toMatch(/is not a camera name/);
    expect(bad(`recording:${ID}/`)).toMatch(/got ""/);
  });

  describe('resolveRecordingSource, in a real data folder', () => {
    const data = mkdtempSync(join(tmpdir(), 'segcam-source-'));
    afterAll(() => rmSync(data, { recursive: true, force: true }));
    const make = (camera: string, id: string, file: string): string => {
      const dir = recordingDir(data, camera, id);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, file), '');
      return dir;
    };
    const own = make('main', ID, 'metadata.jsonl');
    const other = make('door', `${ID}-1`, '000001.jpg'); // numbered images without metadata play too
    mkdirSync(recordingDir(data, 'door', '20261201-101600-000'), { recursive: true }); // an empty folder is not a recording

    it("recording:ID is the own camera's, CAMERA/ID another's; the text stays as given", () => {
      expect(own).toBe(join(data, 'cameras', 'main', 'recordings', ID));
      expect(resolveRecordingSource(parseSource(`recording:${ID}`), data, 'main')).toEqual({ kind: 'file', path: own, text: `recording:${ID}` });
      expect(resolveRecordingSource(parseSource(`recording:door/${ID}-1`), data, 'main')).toEqual({ kind: 'file', path: other, text: `recording:door/${ID}-1` });
      const demo = parseSource('demo');
      expect(resolveRecordingSource(demo, data, 'main')).toBe(demo);
    });

    it('a recording that is not there is one sentence naming the camera', () => {
      expect(() => resolveRecordingSource(parseSource(`recording:${ID}`), data, 'door')).toThrow(new SourceSpecError(`camera door has no recording ${ID}`));
      expect(() => resolveRecordingSource(parseSource('recording:door/20261201-101600-000'), data, 'main')).toThrow('camera door has no recording 20261201-101600-000');
      expect(() => resolveRecordingSource(parseSource(`recording:gone/${ID}`), data, 'main')).toThrow(`camera gone has no recording ${ID}`);
    });

    it('fileProblem takes a file and a recording folder, and says why not for the rest', () => {
      expect(fileProblem(own)).toBeNull();
      expect(fileProblem(join(own, 'metadata.jsonl'))).toBeNull();
      expect(isRecordingDir(own) && isRecordingDir(other)).toBe(true);
      const empty = recordingDir(data, 'door', '20261201-101600-000');
      expect(isRecordingDir(empty)).toBe(false);
      expect(fileProblem(empty)).toBe('not a recording');
      expect(describeFileProblem('not a recording', 'clips/')).toBe('clips/ is a folder, but not a recording (it has no metadata.jsonl and no numbered images such as 000001.jpg)');
      expect(fileProblem(join(data, 'none.mp4'))).toBe('not found');
      expect(describeFileProblem('not found', 'none.mp4')).toBe('file not found: none.mp4');
      expect(fileProblem('/dev/null')).toBe('not a file');
      expect(describeFileProblem('not a file', '/dev/null')).toBe('not a video file, an image or a recording folder: /dev/null');
    });

    it('sourceKind tells a recording, a still and a video file apart', () => {
      expect(sourceKind(parseSource(`recording:${ID}`))).toBe('recording');
      expect(sourceKind(resolveRecordingSource(parseSource(`recording:${ID}`), data, 'main'))).toBe('recording');
      expect(sourceKind(parseSource(other))).toBe('recording'); // a folder, by its path
      expect(sourceKind(parseSource('shots/a.PNG'))).toBe('still');
      expect(sourceKind(parseSource('clips/a.mp4'))).toBe('file');
      expect(sourceKind(parseSource('auto'))).toBe('camera');
      expect(sourceKind(parseSource('demo'))).toBe('demo');
    });
  });

  it('isStillImage knows the images OpenCV reads, by extension', () => {
    for (const f of ['a.jpg', 'a.JPEG', 'b.png', 'c.bmp', 'd.webp']) expect(isStillImage(f), f).toBe(true);
    for (const f of ['a.mp4', 'a.gif', 'jpg', 'a.jpg.mkv']) expect(isStillImage(f), f).toBe(false);
  });
});
