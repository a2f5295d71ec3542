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
  clientMessageSchema,
  decodeClientMessage,
  pack,
  sameSettings,
  upgradeSettings,
  unpackServerMessage,
  type ClientMessage,
  type FrameMessage,
} from '../../../shared/protocol.js';
import { DEFAULT_SETTINGS } from '../../../shared/settings.js';
import { colourOf } from '../../helpers/settings.js';

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
  { type: 'ack', seq: 12 },
  { type: 'source', source: 'rtsp://127.0.0.1:8554/cam' },
  { type: 'presets' },
  { type: 'preset-save', name: 'ball 1' },
  { type: 'preset-load', name: 'ball 1' },
  { type: 'preset-delete', name: 'ball 1' },
  { type: 'preset-rename', name: 'ball 1', to: 'ball-2' },
];

const BAD: [string, unknown, string, RegExp][] = [
  ['unknown type', { type: 'hack' }, ERROR_CODES.UNKNOWN_TYPE, /^unknown message type "hack"$/],
  ['type of another kind', { type: 7 }, ERROR_CODES.UNKNOWN_TYPE, /^unknown message type of kind number$/],
  ['no type', { view: 'mask' }, ERROR_CODES.BAD_MESSAGE, /^a message must be a msgpack map with a type field$/],
  ['not a map', [1, 2, 3], ERROR_CODES.BAD_MESSAGE, /msgpack map/],
  ['extra key', { type: 'view', view: 'mask', admin: true }, ERROR_CODES.INVALID, /^view has unknown field "admin"$/],
  ['wrong view', { type: 'view', view: 'xray' }, ERROR_CODES.INVALID, /^view must be one of "masked", "mask", "original", "side"$/],
  ['quality too high', { type: 'set', settings: { quality: 101 } }, ERROR_CODES.INVALID, /^settings\.quality must be at most 100$/],
  ['quality NaN', { type: 'set', settings: { quality: NaN } }, ERROR_CODES.INVALID, /^settings\.quality is not a finite number$/],
  ['infinite ping', { type: 'ping', id: 1, t: Infinity }, ERROR_CODES.INVALID, /^t is not a finite number$/],
  ['two numbers per bound', { type: 'set', settings: { ranges: [{ ...range, lower: [1, 2] }] } }, ERROR_CODES.INVALID, /^settings\.ranges\.0\.lower/],
  ['fractional channel', { type: 'set', settings: { ranges: [{ ...range, lower: [1.5, 2, 3] }] } }, ERROR_CODES.INVALID, /^settings\.ranges\.0\.lower\.0 must be a whole number$/],
  ['unknown settings key', { type: 'set', settings: { gamma: 2 } }, ERROR_CODES.INVALID, /^settings has unknown field "gamma"$/],
  ['huge array', { type: 'set', settings: { ranges: new Array(300).fill(range) } }, ERROR_CODES.INVALID, /^settings\.ranges has 300 items, more than 256$/],
  ['too many ranges', { type: 'set', settings: { ranges: new Array(9).fill(range) } }, ERROR_CODES.INVALID, /^settings\.ranges: at most 8 ranges are allowed$/],
  ['deep nesting', { type: 'set', settings: { motion: { mode: { a: { b: { c: { d: { e: 1 } } } } } } } }, ERROR_CODES.INVALID, /nested deeper/],
  ['many keys', { type: 'ping', ...Object.fromEntries(Array.from({ length: 301 }, (_, i) => [`k${i}`, 1])) }, ERROR_CODES.INVALID, /^ping has 302 keys, more than 256$/],
  ['pick outside', { type: 'pick', x: 1.5, y: 0, w: 0, h: 0 }, ERROR_CODES.INVALID, /^x must be at most 1$/],
  ['source too long', { type: 'source', source: 'x'.repeat(3000) }, ERROR_CODES.INVALID, /^source may be at most 2048 characters$/],
  ['preset path', { type: 'preset-save', name: '../../etc/passwd' }, ERROR_CODES.INVALID, /^name may hold letters/],
  ['preset of dots', { type: 'preset-save', name: '..' }, ERROR_CODES.INVALID, /^name may hold letters/],
  ['preset ending in a dot', { type: 'preset-save', name: 'a.' }, ERROR_CODES.INVALID, /^name must not end with a space or a dot$/],
  ['blobs not a boolean', { type: 'set', settings: { blobs: 'yes' } }, ERROR_CODES.INVALID, /^settings\.blobs must be a boolean$/],
  ['bad colour', { type: 'set', settings: { ranges: [{ ...range, color: 'red' }] } }, ERROR_CODES.INVALID, /#ff8800/],
  ['negative ack', { type: 'ack', seq: -1 }, ERROR_CODES.INVALID, /^seq must be at least 0$/],
];

describe('protocol', () => {
  it('round-trips a frame message with binary JPEG bytes', () => {
    const frame: FrameMessage = {
      type: 'frame',
      seq: 42,
      ts: Date.now() + 0.25,
      rev: 3,
      width: 640,
      height: 480,
      view: 'masked',
      jpeg: new Uint8Array([0xff, 0xd8, 1, 2, 0xff, 0xd9]),
    };
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

  it('byte 0xc1 (never used in msgpack) is a bad message, not an unknown type', () => {
    expect(decodeClientMessage(new Uint8Array([0xc1]))).toMatchObject({ ok: false, error: { code: 'BAD_MESSAGE' } });
  });

  it('a channel out of its space is IMPOSSIBLE_RANGE for every channel (hue 200, S 300 alike)', () => {
    const hue = applySettingsPatch(DEFAULT_SETTINGS, { ranges: [{ lower: [0, 0, 0], upper: [200, 255, 255] }] });
    const sat = applySettingsPatch(DEFAULT_SETTINGS, { ranges: [{ lower: [0, 0, 0], upper: [10, 300, 255] }] });
    expect(hue).toMatchObject({ ok: false, error: { code: 'IMPOSSIBLE_RANGE', message: 'ranges.0 (range1): upper H is 200, outside 0..179' } });
    expect(sat).toMatchObject({ ok: false, error: { code: 'IMPOSSIBLE_RANGE', message: 'ranges.0 (range1): upper S is 300, outside 0..255' } });
  });

  it('ranges without a name or colour get them; duplicate and reserved names are refused', () => {
    const ok = applySettingsPatch(DEFAULT_SETTINGS, {
      ranges: [
        { lower: [0, 0, 0], upper: [10, 255, 255] },
        { lower: [20, 0, 0], upper: [30, 255, 255] },
      ],
    });
    expect(ok.ok && colourOf(ok.value).ranges.map((r) => [r.name, r.color])).toEqual([
      ['range1', '#ff3b30'],
      ['range2', '#34c759'],
    ]);
    const dup = applySettingsPatch(DEFAULT_SETTINGS, {
      ranges: [
        { name: 'obj', lower: [0, 0, 0], upper: [1, 1, 1] },
        { name: 'obj', lower: [0, 0, 0], upper: [1, 1, 1] },
      ],
    });
    expect(dup).toMatchObject({ ok: false, error: { code: 'INVALID', message: expect.stringMatching(/two ranges are named "obj"/) } });
    expect(applySettingsPatch(DEFAULT_SETTINGS, { ranges: [{ name: 'all', lower: [0, 0, 0], upper: [1, 1, 1] }] })).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/reserved/) },
    });
  });

  it('a patch that changes only the space converts the ranges to it (the same conversion as the viewer)', () => {
    const bgr = applySettingsPatch(DEFAULT_SETTINGS, { space: 'bgr' });
    expect(bgr.ok).toBe(true);
    if (!bgr.ok) return;
    const red = colourOf(bgr.value).ranges[0]!;
    expect(red.name).toBe('red');
    expect(red.lower[2]).toBeGreaterThan(red.upper[0]); // a red box: more red than blue
    expect(red.upper[2]).toBe(255);
    // space and ranges given together: the ranges are taken as they are, in the new space
    const given = applySettingsPatch(DEFAULT_SETTINGS, { space: 'bgr', ranges: [{ lower: [170, 0, 0], upper: [10, 255, 255] }] });
    expect(given).toMatchObject({ ok: false, error: { code: 'IMPOSSIBLE_RANGE', message: /lower B \(170\) is above upper B \(10\)/ } });
    const ok = applySettingsPatch(DEFAULT_SETTINGS, { motion: { mode: 'only' } });
    expect(ok.ok && ok.value.motion).toEqual({ ...DEFAULT_SETTINGS.motion, mode: 'only' });
    expect(DEFAULT_SETTINGS.motion.mode).toBe('off'); // the current settings were not touched
    expect(applySettingsPatch(DEFAULT_SETTINGS, { blur: 4 })).toMatchObject({ ok: false, error: { message: /odd/ } });
  });

  it('sameSettings tells a change that changes nothing', () => {
    expect(sameSettings(DEFAULT_SETTINGS, { ...DEFAULT_SETTINGS })).toBe(true);
    const same = applySettingsPatch(DEFAULT_SETTINGS, { quality: DEFAULT_SETTINGS.output.quality });
    expect(same.ok && sameSettings(DEFAULT_SETTINGS, same.value)).toBe(true);
    const other = applySettingsPatch(DEFAULT_SETTINGS, { quality: 50 });
    expect(other.ok && sameSettings(DEFAULT_SETTINGS, other.value)).toBe(false);
  });

  it('blobs: a patch that does not mention it leaves it alone; settings saved before it existed load with it on', () => {
    const decoded = decodeClientMessage(pack({ type: 'set', settings: { quality: 50 } }));
    expect(decoded.ok && decoded.value.type === 'set' && 'blobs' in decoded.value.settings).toBe(false);
    const off = { ...DEFAULT_SETTINGS, blobs: false };
    const patched = applySettingsPatch(off, decoded.ok && decoded.value.type === 'set' ? decoded.value.settings : {});
    expect(patched).toMatchObject({ ok: true, value: { output: { quality: 50 }, blobs: false } });
    const { blobs: _, ...older } = DEFAULT_SETTINGS;
    expect(checkSettings(upgradeSettings(older) as typeof DEFAULT_SETTINGS)).toMatchObject({ ok: true, value: { blobs: true } });
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
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (b) => check(b)),
        { numRuns: 5000 },
      );
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
          if (r.ok) {
            // what passes is a valid message, and says the same once packed again
            expect(clientMessageSchema.safeParse(r.value).success).toBe(true);
            expect(decodeClientMessage(pack(r.value))).toEqual({ ok: true, value: r.value });
          }
        }),
        { numRuns: 10000 },
      );
    });
  });
});

describe('settings of every method, and of earlier versions', () => {
  it('a settings file of version 1 (space, ranges, quality at the top) loads as the colour method, unchanged', () => {
    const v1 = {
      space: 'bgr',
      ranges: [{ name: 'tape', color: '#00ff00', lower: [0, 100, 0], upper: [80, 255, 80] }],
      quality: 61,
      blur: 3,
      open: 0,
      close: 0,
      minArea: 0,
      motion: DEFAULT_SETTINGS.motion,
    };
    const c = checkSettings(upgradeSettings(v1) as never);
    expect(c).toMatchObject({
      ok: true,
      value: {
        method: { kind: 'colour', space: 'bgr', ranges: [{ name: 'tape', lower: [0, 100, 0] }] },
        output: { quality: 61 },
        blur: 3,
        blobs: true,
        zones: [],
        transform: { flip: 'none' },
      },
    });
  });

  it('a method patch merges into the same kind, and starts another kind from its defaults', () => {
    const t = applySettingsPatch(DEFAULT_SETTINGS, { method: { kind: 'threshold', mode: 'fixed', value: 90 } });
    expect(t).toMatchObject({ ok: true, value: { method: { kind: 'threshold', mode: 'fixed', value: 90, channel: 'gray', invert: false } } });
    if (!t.ok) return;
    const t2 = applySettingsPatch(t.value, { method: { kind: 'threshold', adaptive: { blockSize: 15 } } });
    expect(t2).toMatchObject({ ok: true, value: { method: { kind: 'threshold', value: 90, adaptive: { blockSize: 15, method: 'gaussian' } } } });
    expect(applySettingsPatch(t.value, { method: { kind: 'threshold', adaptive: { blockSize: 16 } } })).toMatchObject({
      ok: false,
      error: { message: 'adaptive block size must be odd, got 16 px' },
    });
    expect(applySettingsPatch(DEFAULT_SETTINGS, { method: { kind: 'edges', low: 200, high: 100 } })).toMatchObject({
      ok: false,
      error: { code: 'INVALID', message: /low edge level/ },
    });
    expect(applySettingsPatch(DEFAULT_SETTINGS, { method: { kind: 'clusters', k: 3, foreground: [3] } })).toMatchObject({
      ok: false,
      error: { message: /cluster 3 does not exist/ },
    });
    // the names of version 1 still change the colour method
    const back = applySettingsPatch(t.value, { ranges: [{ lower: [0, 0, 0], upper: [10, 255, 255] }] });
    expect(back).toMatchObject({ ok: true, value: { method: { kind: 'colour', space: 'hsv', ranges: [{ name: 'range1' }] } } });
  });

  it('targets, zones and transform are merged, replaced and checked', () => {
    const z = applySettingsPatch(DEFAULT_SETTINGS, {
      zones: [
        {
          name: 'door',
          kind: 'include',
          points: [
            [0, 0],
            [0.5, 0],
            [0.5, 0.5],
          ],
        },
      ],
      targets: { max: 2, filters: { minArea: 50 } },
      transform: { flip: 'h' },
    });
    expect(z).toMatchObject({
      ok: true,
      value: { zones: [{ name: 'door' }], targets: { max: 2, sort: 'largest', filters: { minArea: 50, maxPercent: 100 } }, transform: { flip: 'h', rotate: 0 } },
    });
    expect(
      applySettingsPatch(DEFAULT_SETTINGS, {
        zones: [
          {
            name: 'flat',
            kind: 'include',
            points: [
              [0, 0],
              [0.5, 0.5],
              [1, 1],
            ],
          },
        ],
      }),
    ).toMatchObject({ ok: false, error: { message: /encloses no area/ } });
    expect(applySettingsPatch(DEFAULT_SETTINGS, { transform: { crop: { x: 0.5, y: 0, w: 0.8, h: 1 } } })).toMatchObject({ ok: false, error: { message: /inside the picture/ } });
    expect(applySettingsPatch(DEFAULT_SETTINGS, { targets: { filters: { minArea: 100, maxArea: 10 } } })).toMatchObject({ ok: false, error: { message: /minimum target area/ } });
  });
});
