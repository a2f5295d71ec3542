import { describe, expect, it } from 'vitest';
/**
 * The hub: pack once per frame and view, count busy consumers as drops, number frames itself.
 */
import { unpackServerMessage } from '../../../shared/protocol.js';
import type { View } from '../../../shared/settings.js';
import type { EncodedFrame } from '../../../server/camera/messages.js';
import { Hub, type Consumer, type Delivery, type PublishedFrame } from '../../../server/stream/hub.js';

/** a consumer that answers with a fixed Delivery and keeps what it was offered */
function consumer(watching: View | null, answer: Delivery): Consumer & { got: PublishedFrame[] } {
  const got: PublishedFrame[] = [];
  return {
    kind: 'ws',
    watching,
    got,
    deliver: (f) => {
      got.push(f);
      return answer;
    },
  };
}

function frame(seq: number, views: View[]): EncodedFrame {
  const jpegs = views.map((view) => ({ view, jpeg: new Uint8Array([0xff, 0xd8, seq, 0xff, 0xd9]), width: 4, height: 2 }));
  return { type: 'frame', seq, ts: 1000 + seq, rev: 4, placeholder: false, jpegs, analysis: null, encodes: jpegs.length, timings: { wait: 0, segment: 0, encode: 0 } };
}

describe('hub', () => {
  it('counts a busy consumer as a drop, a closing or rate-capped one as neither drop nor send', () => {
    const hub = new Hub(() => undefined);
    const sent = consumer('masked', 'sent');
    const busy = consumer('masked', 'busy');
    const passed = consumer('masked', 'passed');
    for (const c of [sent, busy, passed]) hub.add(c);
    for (let seq = 0; seq < 10; seq++) hub.publish(frame(seq, ['masked']));
    expect(hub.sent).toBe(10);
    expect(hub.dropped).toBe(10);
    expect(passed.got).toHaveLength(10); // it was offered every frame
  });

  it('packs each frame and view once: every consumer of a view gets the same bytes', () => {
    const demand: View[][] = [];
    const hub = new Hub((views) => demand.push(views));
    const a = consumer('masked', 'sent');
    const b = consumer('masked', 'sent');
    const m = consumer('mask', 'sent');
    const paused = consumer(null, 'sent');
    for (const c of [a, b, m, paused]) hub.add(c);
    expect(demand.at(-1)).toEqual(['mask', 'masked']);
    hub.publish(frame(7, ['masked', 'mask']));
    expect(a.got[0]!.packed).toBe(b.got[0]!.packed); // the same object, not an equal copy
    expect(m.got[0]!.view).toBe('mask');
    expect(paused.got).toHaveLength(0);
    const msg = unpackServerMessage(a.got[0]!.packed);
    expect(msg).toMatchObject({ type: 'frame', seq: 1, ts: 1007, rev: 4, view: 'masked', width: 4, height: 2 });
  });

  it("numbers frames itself, rising whatever the camera's own numbers do (a restarted camera starts at 0)", () => {
    const hub = new Hub(() => undefined);
    const c = consumer('masked', 'sent');
    hub.add(c);
    for (const seq of [5, 6, 0, 1]) hub.publish(frame(seq, ['masked']));
    expect(c.got.map((f) => f.seq)).toEqual([1, 2, 3, 4]);
    expect(hub.newestFrame('masked')).toMatchObject({ seq: 4, rev: 4 });
  });
});
