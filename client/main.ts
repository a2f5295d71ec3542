/**
 * The segcam viewer: wires the connection, the picture, the tuning panel and the status overlay.
 * A frame's path here: connection → view (decode, draw newest) → status (fps, latency).
 * A change's path: controls → connection (`set`) → server → `settings` to every viewer.
 */
import type { ServerMessage } from '../shared/protocol.js';
import { VIEWS, type View as ViewName } from '../shared/settings.js';
import { Connection, type ConnectionState } from './connection.js';
import { Controls } from './controls.js';
import { StatusOverlay } from './status.js';
import { View } from './view.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const VIEW_KEY = 'segcam.view';

const status = new StatusOverlay($('hud'), $('banner'));
let viewerId = 0;
let lastFrameAt = 0;
const view = new View($<HTMLCanvasElement>('picture'), (d) => {
  status.displayed(d.bytes, connection.serverNow() - d.ts);
  if (lastFrameAt) controls.minIntervalMs = Math.max(20, Math.min(200, performance.now() - lastFrameAt));
  lastFrameAt = performance.now();
});
const controls = new Controls($('panel'), (patch) => connection.send({ type: 'set', settings: patch, id: ++setId }));
let setId = 0;
const saved = localStorage.getItem(VIEW_KEY) as ViewName | null;
const connection = new Connection(onMessage, onState, saved && (VIEWS as readonly string[]).includes(saved) ? saved : 'masked');

function toast(text: string): void {
  const el = $('toast');
  el.textContent = text;
  el.classList.add('show');
  window.clearTimeout(Number(el.dataset.timer));
  el.dataset.timer = String(window.setTimeout(() => el.classList.remove('show'), 3000));
}

function onMessage(m: ServerMessage): void {
  switch (m.type) {
    case 'hello':
      viewerId = m.viewerId;
      controls.readOnly = m.role !== 'control';
      controls.show(m.settings);
      controls.externalChange(m.settings);
      status.source = m.status;
      status.viewers = m.viewers;
      document.body.dataset.role = m.role;
      document.body.dataset.ready = '1';
      if (m.role !== 'control') toast('View-only: you can watch but not change settings');
      connection.send({ type: 'presets' });
      break;
    case 'frame':
      if (m.view === connection.view || m.placeholder) view.push(m);
      break;
    case 'settings':
      if (m.by !== viewerId) {
        controls.show(m.settings);
        controls.externalChange(m.settings);
        toast(m.by === 0 ? 'Settings changed (API or preset)' : `Settings changed by viewer ${m.by}`);
      } else if (m.id === setId) controls.show(m.settings); // our newest change, as the server has it
      document.body.dataset.revision = String(m.revision);
      break;
    case 'status':
      status.source = m.status;
      status.viewers = m.viewers;
      status.dropped = m.dropped;
      break;
    case 'error':
      toast(`${m.ref ? `${m.ref}: ` : ''}${m.message}`);
      if (m.ref === 'set') connection.send({ type: 'presets' });
      break;
    case 'picked':
      controls.setPickedRange(m.range.lower, m.range.upper);
      toast(`Picked ${m.samples} px: ${m.range.lower.join(',')} – ${m.range.upper.join(',')}`);
      break;
    case 'presets':
      showPresets(m.names, m.active);
      break;
    case 'pong':
      break;
  }
}

function onState(s: ConnectionState): void {
  const el = $('conn');
  document.body.dataset.conn = s.kind;
  if (s.kind === 'open') el.textContent = 'connected';
  else if (s.kind === 'connecting') el.textContent = s.attempt > 1 ? `connecting (attempt ${s.attempt})…` : 'connecting…';
  else if (s.kind === 'waiting') {
    const tick = (): void => {
      const left = Math.max(0, Math.ceil((s.retryAt - Date.now()) / 1000));
      if (document.body.dataset.conn === 'waiting') el.textContent = `${s.reason}; retrying in ${left} s`;
    };
    tick();
    const t = window.setInterval(() => (document.body.dataset.conn === 'waiting' ? tick() : window.clearInterval(t)), 500);
  } else el.textContent = s.reason;
}

// ---- views and shortcuts
function selectView(v: ViewName): void {
  connection.setView(v);
  localStorage.setItem(VIEW_KEY, v);
  document.querySelectorAll<HTMLButtonElement>('#views button').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.view === v)));
}
document.querySelectorAll<HTMLButtonElement>('#views button').forEach((b) => b.addEventListener('click', () => selectView(b.dataset.view as ViewName)));
selectView(connection.view);

document.addEventListener('keydown', (e) => {
  const t = e.target as HTMLElement;
  if (t.matches('input, select, textarea')) return;
  const keys: Record<string, () => void> = {
    '1': () => selectView('masked'),
    '2': () => selectView('mask'),
    '3': () => selectView('original'),
    '4': () => selectView('side'),
    f: () => toast(view.toggleFreeze() ? 'Picture frozen (F to resume)' : 'Picture live'),
    o: () => {
      view.overlay = !view.overlay;
      view.redraw();
    },
  };
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'z') {
    e.preventDefault();
    return e.shiftKey ? controls.redo() : controls.undo();
  }
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'y') {
    e.preventDefault();
    return controls.redo();
  }
  const f = keys[e.key.toLowerCase()];
  if (f && !e.ctrlKey && !e.metaKey && !e.altKey) {
    e.preventDefault();
    f();
  }
});

// ---- hidden tab: ask for nothing while nobody can see
document.addEventListener('visibilitychange', () => connection.setPaused(document.hidden));

// ---- pick by clicking (or dragging a box) on the picture
const canvas = $<HTMLCanvasElement>('picture');
let dragFrom: { x: number; y: number } | null = null;
canvas.addEventListener('pointerdown', (e) => {
  dragFrom = { x: e.offsetX, y: e.offsetY };
});
canvas.addEventListener('pointerup', (e) => {
  if (!dragFrom) return;
  const from = dragFrom;
  dragFrom = null;
  const r = view.imageRect();
  const frame = view.current;
  if (!r || !frame || frame.placeholder) return;
  const halves = frame.view === 'side' ? 2 : 1;
  const toFrame = (px: number, py: number): { x: number; y: number } => {
    let fx = ((px - r.x) / r.w) * halves;
    if (fx > 1) fx -= 1; // right half of side-by-side: same pixels as the left
    return { x: Math.max(0, Math.min(1, fx)), y: Math.max(0, Math.min(1, (py - r.y) / r.h)) };
  };
  const a = toFrame(from.x, from.y);
  const b = toFrame(e.offsetX, e.offsetY);
  const box = { x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), w: Math.abs(a.x - b.x), h: Math.abs(a.y - b.y) };
  if (box.w < 0.005 && box.h < 0.005) box.w = box.h = 0; // a click
  if (controls.readOnly) return toast('View-only: picking changes settings');
  connection.send({ type: 'pick', ...box });
});

// ---- presets
function showPresets(names: string[], active?: string): void {
  const sel = $<HTMLSelectElement>('preset-list');
  sel.innerHTML = names.map((n) => `<option>${n.replace(/[&<>"]/g, '')}</option>`).join('');
  if (active && names.includes(active)) sel.value = active;
}
const presetName = (): string => $<HTMLSelectElement>('preset-list').value;
$('preset-save').addEventListener('click', () => {
  const name = $<HTMLInputElement>('preset-name').value.trim();
  if (name) connection.send({ type: 'preset-save', name });
});
$('preset-load').addEventListener('click', () => presetName() && connection.send({ type: 'preset-load', name: presetName() }));
$('preset-delete').addEventListener('click', () => presetName() && connection.send({ type: 'preset-delete', name: presetName() }));
$('preset-rename').addEventListener('click', () => {
  const to = $<HTMLInputElement>('preset-name').value.trim();
  if (presetName() && to) connection.send({ type: 'preset-rename', name: presetName(), to });
});
$('preset-export').addEventListener('click', () => {
  const s = controls.current;
  if (!s) return;
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([JSON.stringify(s, null, 2)], { type: 'application/json' }));
  a.download = `${presetName() || 'segcam-settings'}.json`;
  a.click();
  URL.revokeObjectURL(a.href);
});
$<HTMLInputElement>('preset-import').addEventListener('change', async (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (!file) return;
  try {
    const settings = JSON.parse(await file.text());
    connection.send({ type: 'set', settings, id: ++setId });
  } catch {
    toast(`${file.name} is not a settings JSON file`);
  }
});

// ---- source switch
$('source-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const source = $<HTMLInputElement>('source').value.trim();
  if (source) connection.send({ type: 'source', source });
});

controls.wire();
connection.open();

// exposed for the browser tests and the screenshot script
declare global {
  interface Window {
    segcam: { status: StatusOverlay; view: View; controls: Controls; connection: Connection };
  }
}
window.segcam = { status, view, controls, connection };
