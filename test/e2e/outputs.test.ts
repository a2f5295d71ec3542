/**
 * The viewer's rules and recordings panels, and the model method's file menu, in real Chromium
 * against the real server. The source is a generated clip, looped, in which a red box shows
 * for 1.5 s and hides for 1.5 s: a rule added from the form is listed and turns on and off with
 * the picture (a hold counting down on the way), a second page sees the same rule and states,
 * the newest changes come with their pictures, the switch turns the rule off; a recording is
 * started and stopped from its button, listed, downloaded (a tar) and deleted after a
 * confirmation; a view-only page sees it all with every button off, as does a page whose
 * connection dropped; a rule the server refuses shows the server's sentence; the model file is
 * a menu of the models folder, and a text field while the folder is empty.
 */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Rule } from '../../shared/rules.js';
import { launchBrowser, openViewer, waitFrames } from '../helpers/browser.js';
import { makeClip } from '../helpers/fixtures.js';
import { modelsDir, type ModelsDir } from '../helpers/onnx.js';
import { authHeaders, jsonHeaders, startServer, type ServerHandle } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const VIEW_TOKEN = 'view-only-token-outputs-3';
/** a 80x80 red box on grey, shown for the first 1.5 s of every 3 s: 8.3 % of the frame, then none */
const LAVFI = "color=c=0x808080:size=320x240:rate=30[bg];color=c=red:size=80x80:rate=30[box];[bg][box]overlay=x=120:y=80:enable='lt(t,1.5)'[out0]";
const RED = { name: 'red', color: '#ff3b30', lower: [170, 120, 80], upper: [10, 255, 255] };
/** where the screenshots of the panels go (kept, to be looked at) */
const SHOTS = process.env.SEGCAM_SCREENSHOTS ?? tmpdir();

let browser: Browser;
let s: ServerHandle;
let models: ModelsDir;

beforeAll(async () => {
  const clip = await makeClip('blink-box-320x240.mp4', LAVFI, 3);
  models = modelsDir();
  models.make('redgreen', 'rg.onnx', 64, 48);
  models.make('redgreen', 'rg-wide.onnx', 96, 48);
  browser = await launchBrowser();
  s = await startServer({ args: ['--source', clip, '--view-token', VIEW_TOKEN, '--models-dir', models.dir] });
  await api('/api/settings', { method: 'PATCH', body: JSON.stringify({ method: { kind: 'colour', space: 'hsv', ranges: [RED] }, blur: 0, open: 0, close: 0 }) });
});
afterAll(async () => {
  await browser?.close();
  await s?.stop();
  models?.remove();
});

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${s.base}${path}`, { ...init, headers: init.body ? jsonHeaders(s) : authHeaders(s) });
  const body = (await res.json()) as T;
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}
const rulesNow = async (): Promise<Rule[]> => (await api<{ rules: Rule[] }>('/api/rules')).rules;
const recordingsNow = async (): Promise<{ id: string; frames: number; active: boolean }[]> =>
  (await api<{ recordings: { id: string; frames: number; active: boolean }[] }>('/api/recordings')).recordings;

/** viewer opens a page and waits until it shows frames (with an analysis of a region, unless null). */
async function viewer(token?: string, height = 900, region: string | null = 'red'): Promise<Page> {
  const page = await openViewer(browser, s, { ...(token ? { token } : {}), height });
  await page.waitForFunction(() => document.body.dataset.ready === '1');
  await waitFrames(page, 3);
  if (region !== null) await page.waitForFunction((region) => window.segcam.view.current?.analysis?.ranges.some((r) => r.name === region), region, { timeout: 10_000 });
  return page;
}

/** text is an element's text with its no-break spaces (between a number and its unit) as plain ones. */
const text = async (page: Page, sel: string): Promise<string | null> => (await page.textContent(sel))?.replace(/\u00a0/g, ' ') ?? null;

const row = (name: string): string => `#rule-list .rule[data-name="${name}"]`;

/** states records the states a page's rule row shows, polled every 50 ms, until `until` of them have been seen. */
async function watchStates(page: Page, name: string, until: string[], timeout = 15_000): Promise<string[]> {
  return page.evaluate(
    ([sel, until, timeout]) =>
      new Promise<string[]>((resolve, reject) => {
        const seen: string[] = [];
        const started = performance.now();
        const t = window.setInterval(() => {
          const s = (document.querySelector(sel as string) as HTMLElement | null)?.dataset.state;
          if (s && seen[seen.length - 1] !== s) seen.push(s);
          const want = until as string[];
          if (seen.join(',').includes(want.join(','))) {
            window.clearInterval(t);
            resolve(seen);
          } else if (performance.now() - started > (timeout as number)) {
            window.clearInterval(t);
            reject(new Error(`saw only ${seen.join(', ')}`));
          }
        }, 50);
      }),
    [row(name), until, timeout] as const,
  );
}

/** addRule fills the form of a page and saves it. */
async function addRule(page: Page, r: { name: string; subject: string; op: string; value?: string; hold?: string; release?: string }): Promise<void> {
  await page.click('#rule-add');
  await page.waitForSelector('#rule-form:not([hidden])');
  await page.fill('#rule-name', r.name);
  await page.selectOption('#rule-subject', r.subject);
  await page.selectOption('#rule-op', r.op);
  if (r.value !== undefined) await page.fill('#rule-value', r.value);
  await page.fill('#rule-hold', r.hold ?? '0');
  await page.fill('#rule-release', r.release ?? '');
  await page.click('#rule-save');
}

const toast = (page: Page, re: RegExp): Promise<unknown> =>
  page.waitForFunction((src) => new RegExp(src).test(document.getElementById('toast')!.textContent ?? ''), re.source, { timeout: 10_000 });

describe('rules in the viewer', () => {
  it('a rule added from the form is listed and turns on and off live; a second page sees the same; its switch turns it off', async () => {
    const a = await viewer();
    const b = await viewer();
    expect(await a.isVisible('#rule-empty')).toBe(true);
    // the subject menu offers the analysis' regions, the zone menu the whole picture
    await a.click('#rule-add');
    expect(await a.$$eval('#rule-subject option', (o) => o.map((x) => (x as HTMLOptionElement).value))).toEqual(['', 'range:red']);
    expect(await a.$$eval('#rule-zone option', (o) => o.map((x) => (x as HTMLOptionElement).value))).toEqual(['']);
    await a.click('#rule-cancel');
    expect(await a.isHidden('#rule-form')).toBe(true);

    await addRule(a, { name: 'red-seen', subject: 'range:red', op: 'above', value: '2' });
    await a.waitForSelector(row('red-seen'));
    await toast(a, /Rule "red-seen" saved/);
    expect(await a.isHidden('#rule-form')).toBe(true);
    expect(await rulesNow()).toEqual([
      { name: 'red-seen', subject: { range: 'red' }, metric: 'coverage', op: 'above', value: 2, hold: 0, release: 0, hysteresis: 0, enabled: true },
    ]);
    expect(await text(a, `${row('red-seen')} .rule-def`)).toBe('red: coverage > 2 %');

    // live, on both pages: on while the box shows, off while it is gone, and on again
    const [seenA, seenB] = await Promise.all([watchStates(a, 'red-seen', ['on', 'off', 'on']), watchStates(b, 'red-seen', ['on', 'off', 'on'])]);
    expect(seenA).toContain('on');
    expect(seenB).toContain('off');
    // while on: the value against the threshold, and since when
    await a.waitForFunction((sel) => document.querySelector<HTMLElement>(sel)?.dataset.state === 'on', row('red-seen'), { timeout: 5000 });
    expect(await text(a, `${row('red-seen')} .rule-value`)).toMatch(/^8(\.\d)? % · needs > 2 % ✓$/);
    expect(await text(a, `${row('red-seen')} .rule-since`)).toMatch(/^on since \d\d:\d\d:\d\d \(\d+(\.\d)? s\)$/);
    expect(await a.textContent(`${row('red-seen')} .rule-state`)).toBe('ON');

    // a rule with a hold: its pending change counts down (the status of red-seen's change carries it)
    await addRule(b, { name: 'red-held', subject: 'range:red', op: 'above', value: '2', hold: '1', release: '0.5' });
    await a.waitForSelector(row('red-held'), { timeout: 5000 });
    expect(await text(a, `${row('red-held')} .rule-def`)).toBe('red: coverage > 2 % · hold 1 s · release 0.5 s');
    const countdown = await a.waitForFunction(
      (sel) => {
        const e = document.querySelector(`${sel} .rule-since.pending`);
        return e && /turns (on|off) in \d\.\d\ss if it holds/.test(e.textContent ?? '') ? e.textContent : null;
      },
      row('red-held'),
      { timeout: 10_000, polling: 50 },
    );
    expect(await countdown.jsonValue()).toMatch(/turns (on|off) in/);
    await watchStates(a, 'red-held', ['on', 'off']);

    // the newest changes, with the picture of each moment (through the cookie's token)
    await a.waitForFunction(() => document.querySelectorAll('#event-list .event[data-rule="red-seen"]').length >= 2, null, { timeout: 10_000 });
    await a.waitForFunction(
      () => [...document.querySelectorAll<HTMLImageElement>('#event-list .event[data-rule="red-seen"] img.thumb')].some((i) => i.complete && i.naturalWidth > 0),
      null,
      {
        timeout: 10_000,
      },
    );
    const first = await a.$eval('#event-list .event', (e) => ({ text: e.textContent, src: e.querySelector('img')?.getAttribute('src') }));
    expect(first.text).toMatch(/\d\d:\d\d:\d\d red-(seen|held) → (ON|OFF)/);
    expect(first.src).toMatch(/^\/api\/events\/red-(seen|held)\/\d+\.jpg$/);
    expect(await b.locator('#event-list .event').count()).toBeGreaterThan(0);

    // the switch: off on the server, on the other page, and the rule stays off
    await a.uncheck(`${row('red-seen')} .rule-switch`);
    await waitFor(async () => (await rulesNow()).find((r) => r.name === 'red-seen')?.enabled === false, 5000, 'the rule to be switched off');
    await b.waitForFunction((sel) => document.querySelector<HTMLElement>(sel)?.dataset.enabled === 'false', row('red-seen'), { timeout: 5000 });
    expect(await b.isChecked(`${row('red-seen')} .rule-switch`)).toBe(false);
    expect(await b.textContent(`${row('red-seen')} .rule-state`)).toBe('SWITCHED OFF');
    await a.waitForTimeout(3500); // a whole blink: it never turns on
    expect(await a.evaluate((sel) => document.querySelector<HTMLElement>(sel)?.dataset.state, row('red-seen'))).toBe('off');
    // and back on, from the other page
    await b.check(`${row('red-seen')} .rule-switch`);
    await a.waitForFunction((sel) => document.querySelector<HTMLElement>(sel)?.dataset.enabled === 'true', row('red-seen'), { timeout: 5000 });
    await watchStates(a, 'red-seen', ['on']);

    // edit: the form holds the rule; the change is put in its place
    await a.click(`${row('red-held')} .rule-edit`);
    expect(await a.inputValue('#rule-name')).toBe('red-held');
    expect(await a.inputValue('#rule-subject')).toBe('range:red');
    expect(await a.inputValue('#rule-hold')).toBe('1');
    expect(await a.inputValue('#rule-release')).toBe('0.5');
    await a.fill('#rule-hold', '0.5');
    await a.click('#rule-save');
    await waitFor(async () => (await rulesNow()).find((r) => r.name === 'red-held')?.hold === 0.5, 5000, 'the edit');
    expect((await rulesNow()).map((r) => r.name)).toEqual(['red-seen', 'red-held']);
    await b.waitForFunction(
      (sel) =>
        document
          .querySelector(`${sel} .rule-def`)
          ?.textContent?.replace(/\u00a0/g, ' ')
          .includes('hold 0.5 s'),
      row('red-held'),
      { timeout: 5000 },
    );

    // delete, after a confirmation (dismissed: nothing happens)
    b.once('dialog', (d) => void d.dismiss());
    await b.click(`${row('red-held')} .rule-delete`);
    await b.waitForTimeout(300);
    expect((await rulesNow()).length).toBe(2);
    b.once('dialog', (d) => void d.accept());
    await b.click(`${row('red-held')} .rule-delete`);
    await a.waitForSelector(row('red-held'), { state: 'detached', timeout: 5000 });
    expect((await rulesNow()).map((r) => r.name)).toEqual(['red-seen']);
    await a.close();
    await b.close();
  });

  it('a rule the server refuses shows its sentence, and nothing changes', async () => {
    const page = await viewer();
    const before = await rulesNow();
    await addRule(page, { name: 'too-much', subject: 'range:red', op: 'above', value: '150' });
    await toast(page, /value is a percentage of the frame and must be at most 100, got 150/);
    expect(await page.textContent('#toast')).toMatch(/^Rules: /);
    expect(await page.isVisible('#rule-form')).toBe(true); // kept open, to be corrected
    expect(await rulesNow()).toEqual(before);
    // corrected, it goes in
    await page.fill('#rule-value', '50');
    await page.click('#rule-save');
    await page.waitForSelector(row('too-much'));
    expect(await page.isHidden('#rule-form')).toBe(true);
    await api('/api/rules', { method: 'PUT', body: JSON.stringify({ rules: before }) });
    await page.waitForSelector(row('too-much'), { state: 'detached', timeout: 5000 });
    await page.close();
  });
});

describe('recordings in the viewer', () => {
  it('Record and Stop make a recording that is listed, downloaded as a tar, and deleted after a confirmation', async () => {
    for (const r of await recordingsNow()) await api(`/api/recordings/${r.id}`, { method: 'DELETE', body: '{}' });
    const a = await viewer();
    const b = await viewer();
    expect(await a.textContent('#recording-now')).toBe('not recording');
    expect(await a.isVisible('#recording-empty')).toBe(true);
    await a.click('#record');
    await a.waitForFunction(() => document.getElementById('record')!.textContent === '■ Stop');
    // the other page sees it from its status messages: id, reason, frames
    await b.waitForFunction(() => /^\d{8}-\d{6}-\d{3} \(manual\) · [1-9]\d* frames · /.test(document.getElementById('recording-now')!.textContent ?? ''), null, { timeout: 8000 });
    expect(await b.getAttribute('#record', 'aria-pressed')).toBe('true');
    await a.waitForFunction(() => document.querySelector('#recording-list .recording[data-active="true"]'), null, { timeout: 5000 });
    expect(await a.isDisabled('#recording-list .recording[data-active="true"] .remove')).toBe(true); // being written
    await a.waitForTimeout(1000);
    await a.click('#record');
    await toast(a, /Recording \d{8}-\d{6}-\d{3} stopped: \d+ frames/);
    await a.waitForFunction(() => document.getElementById('record')!.textContent === '● Record');
    const [rec] = await recordingsNow();
    expect(rec).toMatchObject({ active: false });
    expect(rec!.frames).toBeGreaterThan(10);
    await a.waitForSelector(`#recording-list .recording[data-id="${rec!.id}"][data-active="false"]`);
    const info = await text(a, `#recording-list .recording[data-id="${rec!.id}"] .rec-info`);
    expect(info).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d · \\d+(\\.\\d)? s · ${rec!.frames} frames · \\d+ kB$`));
    expect(await a.textContent(`#recording-list .recording[data-id="${rec!.id}"] .rec-reason`)).toBe('manual');
    await b.waitForSelector(`#recording-list .recording[data-id="${rec!.id}"][data-active="false"]`, { timeout: 8000 });
    expect(await b.textContent('#recording-now')).toBe('not recording');

    // download: a tar of the frames and the metadata
    const [download] = await Promise.all([a.waitForEvent('download'), a.click(`#recording-list .recording[data-id="${rec!.id}"] a.download`)]);
    expect(download.suggestedFilename()).toBe(`main-${rec!.id}.tar`);
    const tar = readFileSync((await download.path())!);
    expect(tar.subarray(257, 262).toString()).toBe('ustar');
    expect(tar.includes('recording.json')).toBe(true);
    expect(tar.includes('000001.jpg')).toBe(true);

    // delete asks first: dismissed, it stays; accepted, it goes from both pages
    a.once('dialog', (d) => {
      expect(d.message()).toBe(`Delete the recording "${rec!.id}"? This cannot be undone.`);
      void d.dismiss();
    });
    await a.click(`#recording-list .recording[data-id="${rec!.id}"] .remove`);
    await a.waitForTimeout(300);
    expect(await recordingsNow()).toHaveLength(1);
    a.once('dialog', (d) => void d.accept());
    await a.click(`#recording-list .recording[data-id="${rec!.id}"] .remove`);
    await toast(a, /deleted/);
    await a.waitForSelector('#recording-list .recording', { state: 'detached' });
    expect(await recordingsNow()).toHaveLength(0);
    expect(await a.isVisible('#recording-empty')).toBe(true);
    await a.close();
    await b.close();
  });
});

describe('view-only and disconnected', () => {
  it('a view-only page sees the rules and recordings, with every button off; so does a page whose connection dropped', async () => {
    await api('/api/rules', { method: 'PUT', body: JSON.stringify({ rules: [{ name: 'red-seen', subject: { range: 'red' }, op: 'above', value: 2 }] }) });
    await api('/api/recordings/start', { method: 'POST', body: '{}' });
    await new Promise((r) => setTimeout(r, 800));
    await api('/api/recordings/stop', { method: 'POST', body: '{}' });
    const enabled = (page: Page): Promise<string[]> =>
      page.$$eval('#rules-body button, #rules-body input, #rules-body select, #recordings-body button, #recordings-body input', (els) =>
        els.filter((e) => !(e as HTMLButtonElement).disabled).map((e) => e.id || e.className || e.outerHTML.slice(0, 60)),
      );

    const v = await viewer(VIEW_TOKEN);
    await v.waitForSelector(row('red-seen'));
    await v.waitForSelector('#recording-list .recording');
    expect(await enabled(v)).toEqual([]);
    await v.evaluate(() => document.getElementById('rules')!.scrollIntoView());
    await v.locator('#rules').screenshot({ path: join(SHOTS, 'segcam-view-only-rules.png') });
    await v.locator('#recordings').screenshot({ path: join(SHOTS, 'segcam-view-only-recordings.png') });
    expect(await v.isDisabled(`${row('red-seen')} .rule-switch`)).toBe(true);
    expect(await v.isDisabled('#record')).toBe(true);
    expect(await v.isDisabled('#rule-add')).toBe(true);
    expect(await v.isDisabled('#recording-list .recording .remove')).toBe(true);
    // it may still watch the states and fetch what a view token may GET: the pictures and the download
    await watchStates(v, 'red-seen', ['on', 'off']);
    expect(await v.getAttribute('#recording-list .recording a.download', 'href')).toMatch(/^\/api\/recordings\/[\d-]+\/download$/);
    // the API says no to it, whatever the page does
    const put = await v.evaluate(async () => (await fetch('/api/rules', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"rules":[]}' })).status);
    expect(put).toBe(403);
    await v.close();

    // a control page whose socket dropped: off until it is back
    const c = await viewer();
    await c.waitForSelector(row('red-seen'));
    expect(await enabled(c)).not.toEqual([]);
    const off = await c.evaluate(
      () =>
        new Promise<string[]>((resolve) => {
          (window.segcam.connection as unknown as { ws: WebSocket }).ws.close();
          const t = window.setInterval(() => {
            if (document.body.dataset.conn !== 'waiting') return;
            window.clearInterval(t);
            resolve(
              [...document.querySelectorAll<HTMLButtonElement>('#rules-body button, #rules-body input, #recordings-body button')]
                .filter((e) => !e.disabled)
                .map((e) => e.id || e.className),
            );
          }, 5);
        }),
    );
    expect(off).toEqual([]);
    await c.waitForFunction(() => document.body.dataset.conn === 'open' && !(document.getElementById('record') as HTMLButtonElement).disabled, null, { timeout: 10_000 });
    expect(await c.isDisabled(`${row('red-seen')} .rule-switch`)).toBe(false);
    await c.close();
  });
});

describe('the panels as they look', () => {
  it('screenshots of the rules and recordings panels', async () => {
    await api('/api/rules', {
      method: 'PUT',
      body: JSON.stringify({
        rules: [
          { name: 'red-seen', subject: { range: 'red' }, op: 'above', value: 2 },
          { name: 'red-held', subject: { range: 'red' }, op: 'above', value: 2, hold: 1, release: 0.5, hysteresis: 1 },
          { name: 'empty', op: 'absent', hold: 2 },
          { name: 'two-boxes', subject: { range: 'red' }, op: 'at_least', value: 2, enabled: false },
        ],
      }),
    });
    const page = await viewer(undefined, 1500);
    await page.evaluate(() => {
      for (const d of document.querySelectorAll<HTMLDetailsElement>('#panel details')) d.open = d.id === 'rules' || d.id === 'recordings';
    });
    await watchStates(page, 'red-seen', ['on', 'off', 'on']);
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('#event-list img.thumb')].filter((i) => i.complete && i.naturalWidth > 0).length >= 2, null, {
      timeout: 10_000,
    });
    await page.click('#record');
    await page.waitForTimeout(1200);
    await page.click(`${row('red-held')} .rule-edit`);
    await page.evaluate(() => document.getElementById('rules')!.scrollIntoView());
    await page.locator('#rules').screenshot({ path: join(SHOTS, 'segcam-rules.png') });
    await page.locator('#recordings').screenshot({ path: join(SHOTS, 'segcam-recordings.png') });
    await page.screenshot({ path: join(SHOTS, 'segcam-outputs.png') });
    await page.click('#rule-cancel');
    await page.click('#record');
    await page.waitForFunction(() => document.getElementById('record')!.textContent === '● Record');
    await page.close();
  });
});

describe('the model file menu', () => {
  it('offers the models folder as a menu, the file in use marked when it is not there; a text field while the folder is empty', async () => {
    const method = {
      kind: 'model',
      file: 'rg.onnx',
      input: { width: 64, height: 48 },
      mean: [0, 0, 0],
      scale: 1 / 255,
      swapRB: false,
      classes: ['other', 'red'],
      foreground: ['red'],
      threshold: 0,
    };
    await api('/api/settings', { method: 'PATCH', body: JSON.stringify({ method }) });
    const page = await viewer(undefined, 900, null);
    await page.waitForSelector('#model-file-menu:not([hidden])');
    expect(await page.isHidden('#model-file')).toBe(true);
    expect(await page.$$eval('#model-file-menu option', (o) => o.map((x) => x.textContent))).toEqual(['rg-wide.onnx', 'rg.onnx']);
    expect(await page.inputValue('#model-file-menu')).toBe('rg.onnx');
    expect(await page.getAttribute('label[for="model-file-menu"]', 'for')).toBe('model-file-menu');
    await page.selectOption('#model-file-menu', 'rg-wide.onnx');
    await waitFor(async () => (await api<{ settings: { method: { file?: string } } }>('/api/settings')).settings.method.file === 'rg-wide.onnx', 5000, 'the file to change');
    await page.close();

    // the file in use is gone from the folder: still in the menu, marked, with a sentence
    rmSync(join(models.dir, 'rg-wide.onnx'));
    const gone = await viewer(undefined, 900, null);
    await gone.waitForSelector('#model-file-menu:not([hidden])');
    expect(await gone.$$eval('#model-file-menu option', (o) => o.map((x) => x.textContent))).toEqual(['rg-wide.onnx (not in the folder)', 'rg.onnx']);
    expect(await gone.textContent('#model-files')).toBe('"rg-wide.onnx" is not in the models folder: choose one of its files.');
    await gone.close();

    // an empty folder: the text field, and why
    rmSync(join(models.dir, 'rg.onnx'));
    const empty = await viewer(undefined, 900, null);
    await empty.waitForFunction(() => !document.getElementById('model-files')!.hidden && document.getElementById('model-file-menu')!.hidden);
    expect(await empty.isVisible('#model-file')).toBe(true);
    expect(await empty.inputValue('#model-file')).toBe('rg-wide.onnx');
    expect(await empty.textContent('#model-files')).toBe('The models folder holds no .onnx file: put one there, or type a name.');
    await empty.close();
    await api('/api/settings', { method: 'PATCH', body: JSON.stringify({ method: { kind: 'colour', space: 'hsv', ranges: [RED] } }) });
  });
});
