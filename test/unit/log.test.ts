/**
 * Log lines: levels, quiet mode, and no secret in any line.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../server/log.js';

describe('log', () => {
  it('writes timestamped lines; quiet drops info only', () => {
    const lines: string[] = [];
    const log = createLogger(false, (l) => lines.push(l));
    log.info('a');
    log.warn('b');
    log.error('c');
    expect(lines.map((l) => l.replace(/^\S+ /, ''))).toEqual(['info  a', 'warn  b', 'error c']);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT/);
    const quiet: string[] = [];
    const q = createLogger(true, (l) => quiet.push(l));
    q.info('x');
    q.warn('y');
    expect(quiet).toHaveLength(1);
  });

  it('redacts tokens and URL credentials from every message', () => {
    const lines: string[] = [];
    const log = createLogger(false, (l) => lines.push(l));
    log.warn('GET /?token=abcdefgh123 refused');
    log.info('source rtsp://admin:hunter2@cam/s live; also http://cam/x.cgi?user=admin&pwd=hunter2');
    expect(lines.join('\n')).not.toMatch(/abcdefgh123|hunter2|admin/);
    expect(lines[0]).toContain('token=***');
    expect(lines[1]).toContain('rtsp://***@cam/s');
  });
});
