/**
 * Source parsing and redaction: every kind of source, and no credential shown anywhere.
 */
import { describe, expect, it } from 'vitest';
import { parseSource, redactSource, redactUrls, SourceSpecError } from '../../../server/capture/source.js';

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
