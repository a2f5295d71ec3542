/**
 * The camera's link to the front: events always go; frames go one at a time, and while one has
 * not left, a newer frame replaces the one waiting (counted): a busy front never gets a backlog.
 */
import { describe, expect, it } from 'vitest';
import { FrontLink, type Channel } from '../../../server/camera/link.js';
import type { EncodedFrame } from '../../../server/camera/messages.js';

/** a channel whose sends complete only when the test says so (a busy front) */
function channel(): Channel & { sent: unknown[]; flush: () => void } {
  const pending: ((e: null) => void)[] = [];
  const sent: unknown[] = [];
  return {
    sent,
    send: (m, _h, _o, cb) => {
      sent.push(m);
      if (cb) pending.push(cb);
      return true;
    },
    flush: () => {
      while (pending.length) pending.shift()!(null);
    },
  };
}
const frame = (seq: number): EncodedFrame => ({
  type: 'frame',
  seq,
  ts: seq,
  rev: 1,
  placeholder: false,
  jpegs: [],
  analysis: null,
  encodes: 0,
  timings: { wait: 0, segment: 0, encode: 0 },
});

describe('FrontLink', () => {
  it('sends the newest frame once the one in flight has left, counting the ones replaced', () => {
    const c = channel();
    const link = new FrontLink(c);
    link.frame(frame(1));
    for (let s = 2; s <= 6; s++) link.frame(frame(s)); // the front is busy
    link.event({ type: 'log', level: 'info', message: 'still heard' });
    expect(c.sent.map((m) => (m as { seq?: number; type: string }).seq ?? (m as { type: string }).type)).toEqual([1, 'log']);
    expect(link.droppedAtPipe).toBe(4); // 2..5 replaced; 6 waits
    c.flush();
    expect((c.sent.at(-1) as EncodedFrame).seq).toBe(6);
    c.flush();
    link.frame(frame(7));
    expect((c.sent.at(-1) as EncodedFrame).seq).toBe(7);
  });

  it('after close, nothing is sent; a channel that throws closes the link', () => {
    const c = channel();
    const link = new FrontLink(c);
    link.close();
    link.frame(frame(1));
    link.event({ type: 'log', level: 'info', message: 'x' });
    expect(c.sent).toEqual([]);
    const broken = new FrontLink({
      send: () => {
        throw new Error('channel closed');
      },
    });
    expect(() => broken.event({ type: 'log', level: 'info', message: 'x' })).not.toThrow();
  });
});
