/**
 * The shared protocol: round trips, validation of every client message kind (good and bad),
 * and a property-based fuzz of the decoder: no input makes it throw, every rejection has a code.
 */
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  applySettingsPatch,
  checkSettings,
  decodeClientMessage,
  pack,
  unpackServerMessage,
  type ClientMessage,
  type FrameMessage,
} from '../../shared/protocol.js';
import { DEFAULT_SETTINGS } from '../../shared/settings.js';

const range = { name: 'ball', color: '#ff8800', lower: [5, 100, 100], upper: [20, 255, 255] };
const GOOD: ClientMessage[] = [
  { type: 'set', settings: { quality: 50 } },
  { type: 'set', settings: { ranges: [range as never], space: 'hsv', blur: 5, open: 3, close: 0, minArea: 100 }, id: 3 },
  { type: 'set', settings: { motion: { mode: 'and', learningRate: 0.01 } } },
  { type: 'set', settings: { blobs: false } },
  { type: 'view', view: 'side' },
  { type: 'pause', paused: true },
  { type: 'ping', id: 1, t: 1_700_000_000_000.5 },
  { type: 'pick', x: 0.5, y: 0.25, w: 0, h: 0 },
  { type: 'source', source: 'rtsp://127.0.0.1:8554/cam' },
  { type: 'presets' },
  { type: 'preset-save', name: 'ball 1' },
  { type: 'preset-load', name: 'ball 1' },
  { type: 'preset-delete', name: 'ball 1' },
  { type: 'preset-rename', name: 'ball 1', to: 'ball-2' },
];

const BAD: [string, unknown, string, RegExp][] = [
  ['unknown type', { type: 'hack' }, ERROR_CODES.UNKNOWN_TYPE, /unknown message type "hack"/],
  ['no type', { view: 'mask' }, ERROR_CODES.UNKNOWN_TYPE, /unknown message type null/],
  ['not a map', [1, 2, 3], ERROR_CODES.BAD_MESSAGE, /msgpack map/],
  ['extra key', { type: 'view', view: 'mask', admin: true }, ERROR_CODES.INVALID, /admin/],
  ['wrong view', { type: 'view', view: 'xray' }, ERROR_CODES.INVALID, /view/],
  ['quality too high', { type: 'set', settings: { quality: 101 } }, ERROR_CODES.INVALID, /settings\.quality/],
  ['quality NaN', { type: 'set', settings: { quality: NaN } }, ERROR_CODES.INVALID, /settings\.quality is not a finite number/],
  ['infinite ping', { type: 'ping', id: 1, t: Infinity }, ERROR_CODES.INVALID, /t is not a finite number/],
  ['two numbers per bound', { type: 'set', settings: { ranges: [{ ...range, lower: [1, 2] }] } }, ERROR_CODES.INVALID, /ranges\.0\.lower/],
  ['fractional channel', { type: 'set', settings: { ranges: [{ ...range, lower: [1.5, 2, 3] }] } }, ERROR_CODES.INVALID, /ranges\.0\.lower\.0/],
  ['negative channel', { type: 'set', settings: { ranges: [{ ...range, upper: [-1, 2, 3] }] } }, ERROR_CODES.INVALID, /ranges\.0\.upper\.0/],
  ['unknown settings key', { type: 'set', settings: { gamma: 2 } }, ERROR_CODES.INVALID, /gamma/],
  ['huge array', { type: 'set', settings: { ranges: new Array(300).fill(range) } }, ERROR_CODES.INVALID, /more than 256/],
  ['too many ranges', { type: 'set', settings: { ranges: new Array(9).fill(range) } }, ERROR_CODES.INVALID, /ranges/],
  ['deep nesting', { type: 'set', settings: { motion: { mode: { a: { b: { c: { d: { e: 1 } } } } } } } }, ERROR_CODES.INVALID, /nested deeper/],
  ['pick outside', { type: 'pick', x: 1.5, y: 0, w: 0, h: 0 }, ERROR_CODES.INVALID, /x/],
  ['preset path', { type: 'preset-save', name: '../../etc/passwd' }, ERROR_CODES.INVALID, /name/],
  ['blobs not a boolean', { type: 'set', settings: { blobs: 'yes' } }, ERROR_CODES.INVALID, /settings\.blobs/],
  ['bad colour', { type: 'set', settings: { ranges: [{ ...range, color: 'red' }] } }, ERROR_CODES.INVALID, /#rrggbb/],
];

describe('protocol', () => {
  it('round-trips a frame message with binary JPEG bytes', () => {
    const frame: FrameMessage = { type: 'frame', seq: 42, ts: Date.now() + 0.25, width: 640, height: 480, view: 'masked', jpeg: new Uint8Array([0xff, 0xd8, 1, 2, 0xff, 0xd9]) };
    const back = unpackServerMessage(pack(frame)) as FrameMessage;
    expect(back).toMatchObject({ type: 'frame', seq: 42, width: 640, height: 480, view: 'masked' });
    expect(back.ts).toBe(frame.ts);
    expect([...back.jpeg]).toEqual([...frame.jpeg]);
  });

  for (const m of GOOD) {
    it(`accepts ${m.type} ${JSON.stringify(m).slice(0, 60)}`, () => {
      const r = decodeClientMessage(pack(m));
      expect(r.ok ? r.value : r.error.message).toEqual(m);
    });
  }

  for (const [what, message, code, pattern] of BAD) {
    it(`rejects ${what} with ${code}`, () => {
      const r = decodeClientMessage(new Packr({ useRecords: false }).pack(message));
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe(code);
        expect(r.error.message).toMatch(pattern);
      }
    });
  }

  it('rejects truncated bytes, text, msgpack extension types and oversized messages', () => {
    const full = pack({ type: 'view', view: 'mask' });
    expect(decodeClientMessage(full.subarray(0, full.length - 2))).toMatchObject({ ok: false, error: { code: 'BAD_MESSAGE' } });
    expect(decodeClientMessage(new TextEncoder().encode('{"type":"view"}'))).toMatchObject({ ok: false });
    // a Date (timestamp extension -1) where a number belongs
    const withDate = new Packr({ useRecords: false }).pack({ type: 'ping', id: 1, t: new Date() });
    expect(decodeClientMessage(withDate)).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    // an unregistered extension type
    expect(decodeClientMessage(new Uint8Array([0xd4, 0x42, 0x00]))).toMatchObject({ ok: false });
    expect(decodeClientMessage(new Uint8Array(20_000))).toMatchObject({ ok: false, error: { code: 'BAD_MESSAGE' } });
  });

  it('a settings patch is checked as a whole: switching space re-checks the ranges', () => {
    const bgr = applySettingsPatch(DEFAULT_SETTINGS, { space: 'bgr' });
    // the default red range wraps (170 > 10): impossible in BGR
    expect(bgr).toMatchObject({ ok: false, error: { code: 'IMPOSSIBLE_RANGE' } });
    const ok = applySettingsPatch(DEFAULT_SETTINGS, { motion: { mode: 'only' } });
    expect(ok.ok && ok.value.motion).toEqual({ ...DEFAULT_SETTINGS.motion, mode: 'only' });
    expect(DEFAULT_SETTINGS.motion.mode).toBe('off'); // the current settings were not touched
    expect(applySettingsPatch(DEFAULT_SETTINGS, { blur: 4 })).toMatchObject({ ok: false, error: { message: /odd/ } });
  });

  it('blobs: a patch that does not mention it leaves it alone; settings saved before it existed load with it on', () => {
    const decoded = decodeClientMessage(pack({ type: 'set', settings: { quality: 50 } }));
    expect(decoded.ok && decoded.value.type === 'set' && 'blobs' in decoded.value.settings).toBe(false);
    const off = { ...DEFAULT_SETTINGS, blobs: false };
    const patched = applySettingsPatch(off, decoded.ok && decoded.value.type === 'set' ? decoded.value.settings : {});
    expect(patched).toMatchObject({ ok: true, value: { quality: 50, blobs: false } });
    const { blobs: _, ...older } = DEFAULT_SETTINGS;
    expect(checkSettings(older as typeof DEFAULT_SETTINGS)).toMatchObject({ ok: true, value: { blobs: true } });
    expect(checkSettings({ ...DEFAULT_SETTINGS, blobs: 1 as never })).toMatchObject({ ok: false, error: { message: /blobs/ } });
  });

  describe('fuzz (fast-check)', () => {
    const check = (bytes: Uint8Array): void => {
      const r = decodeClientMessage(bytes); // must not throw
      if (!r.ok) {
        expect(Object.values(ERROR_CODES)).toContain(r.error.code);
        expect(r.error.message.length).toBeGreaterThan(0);
      }
    };

    it('random bytes never throw, and every rejection has a code', () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => check(b)), { numRuns: 5000 });
    });

    it('random msgpack values never throw', () => {
      const packr = new Packr({ useRecords: false });
      fc.assert(
        fc.property(fc.anything({ maxDepth: 8, withNullPrototype: true, withMap: true, withSet: true, withDate: true, withTypedArray: true, withSparseArray: true }), (v) => {
          let bytes: Uint8Array;
          try {
            bytes = packr.pack(v);
          } catch {
            return; // not every JS value packs
          }
          check(bytes);
        }),
        { numRuns: 5000 },
      );
    });

    it('mutated good messages never throw, and only accepted ones pass the schema', () => {
      const goods = GOOD.map((m) => pack(m));
      fc.assert(
        fc.property(fc.integer({ min: 0, max: goods.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat(), (i, flips, cut) => {
          const b = new Uint8Array(goods[i]!);
          for (const [pos, val] of flips) b[pos % b.length] = val;
          const bytes = cut % 3 === 0 ? b.subarray(0, cut % b.length) : b;
          check(bytes);
          const r = decodeClientMessage(bytes);
          if (r.ok) expect(typeof r.value.type).toBe('string');
        }),
        { numRuns: 10000 },
      );
    });
  });
});
