/**
 * The segcam viewer: at `/` with several cameras, the overview; otherwise one camera's viewer,
 * wiring the connection, the picture, the tuning panel, the rules and recordings (over the HTTP
 * API, kept live by the status messages) and the status overlay.
 * A frame's path here: connection (ack) → view (decode, draw newest) → status (fps, latency).
 * A change's path: controls → connection (`set`) → server → `settings` to every viewer.
 */
import { VIEWS, type View as ViewName } from '../shared/settings.js';
import type { ServerMessage } from '../shared/protocol.js';
import { Api } from './api.js';
import { Connection, cameraOfPage, type ConnectionState } from './connection.js';
import { Controls } from './controls.js';
import { byId, setOptions } from './dom.js';
import { Overview, fetchCameras } from './overview.js';
import { PictureInput } from './picture.js';
import { RecordingsSection } from './recordings.js';
import { RulesSection } from './rules.js';
import type { OutputsContext } from './section.js';
import { StatusOverlay } from './status.js';
import { View } from './view.js';

const VIEW_KEY = 'segcam.view';

function toast(text: string): void {
  const e = byId('toast');
  e.textContent = text;
  e.classList.add('show');
  window.clearTimeout(Number(e.dataset.timer));
  e.dataset.timer = String(window.setTimeout(() => e.classList.remove('show'), 3500));
}

function showDenied(reason: string): void {
  byId('denied').hidden = false;
  byId('denied-reason').textContent = reason;
  byId('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const token = byId<HTMLInputElement>('token-input').value.trim();
    if (token) location.href = `${location.pathname}?token=${encodeURIComponent(token)}`;
  });
}

/** startOverview shows every camera; returns false when there is only one (the page then is its viewer). */
async function startOverview(): Promise<boolean> {
  let cameras: Awaited<ReturnType<typeof fetchCameras>>;
  try {
    cameras = await fetchCameras();
  } catch (e) {
    showDenied((e as Error).message);
    byId('viewer').hidden = true;
    return true;
  }
  if (cameras.length < 2) return false;
  byId('viewer').hidden = true;
  document.querySelector('#views')?.setAttribute('hidden', '');
  const root = byId('overview');
  root.hidden = false;
  document.body.dataset.page = 'overview';
  new Overview(root).start();
  document.body.dataset.ready = '1';
  return true;
}

function startViewer(camera: string | null): void {
  document.body.dataset.page = 'viewer';
  const status = new StatusOverlay(byId('hud'), byId('banner'), byId('source-label'));
  let viewerId = 0;
  let role: 'control' | 'view' = 'view';
  let lastFrameAt = 0;
  let setId = 0;
  const view = new View(byId<HTMLCanvasElement>('picture'), (d) => {
    status.displayed(d.bytes, connection.serverNow() - d.ts);
    if (lastFrameAt) controls.minIntervalMs = Math.max(20, Math.min(200, performance.now() - lastFrameAt));
    lastFrameAt = performance.now();
    controls.showAnalysis(view.current?.analysis);
  });
  const api = new Api((path) => connection.apiUrl(path));
  const controls = new Controls(byId('panel'), (patch) => connection.send({ type: 'set', settings: patch, id: ++setId }), toast, api);
  const outputs: OutputsContext = {
    api,
    get readOnly() {
      return controls.readOnly;
    },
    toast,
    settings: () => controls.current,
    analysis: () => view.current?.analysis,
    serverNow: () => connection.serverNow(),
  };
  const rules = new RulesSection(outputs);
  const recordings = new RecordingsSection(outputs);
  byId('rules-body').append(rules.element);
  byId('recordings-body').append(recordings.element);
  view.settings = () => controls.current;
  const saved = localStorage.getItem(VIEW_KEY) as ViewName | null;
  const connection = new Connection(camera, onMessage, onState, saved && (VIEWS as readonly string[]).includes(saved) ? saved : 'masked');

  function onMessage(m: ServerMessage): void {
    switch (m.type) {
      case 'hello': {
        viewerId = m.viewerId;
        role = m.role;
        controls.setAccess(role, true);
        controls.show(m.settings);
        controls.externalChange(m.settings);
        status.source = m.status;
        status.viewers = m.viewers;
        document.body.dataset.role = m.role;
        document.body.dataset.camera = m.camera;
        document.body.dataset.revision = String(m.revision);
        document.title = `segcam · ${m.camera}`;
        const picker = byId<HTMLSelectElement>('camera');
        if (m.cameras.length > 1) {
          setOptions(picker, m.cameras, m.camera);
          picker.closest('label')!.hidden = false;
        }
        document.body.dataset.ready = '1';
        if (m.role !== 'control') toast('View-only: you can watch but not change settings');
        connection.send({ type: 'presets' });
        void rules.refresh();
        void recordings.refresh();
        break;
      }
      case 'frame':
        if (m.view === connection.view || m.placeholder) view.push(m);
        break;
      case 'settings':
        document.body.dataset.revision = String(m.revision);
        if (m.by === viewerId && m.id !== undefined) {
          // the echo of one of our own `set`s: only the newest may move the controls (older ones are superseded)
          if (m.id === setId) controls.show(m.settings);
          else controls.known(m.settings);
          break;
        }
        controls.show(m.settings);
        controls.externalChange(m.settings);
        if (m.by !== viewerId) toast(m.by === 0 ? 'Settings changed (API or preset)' : `Settings changed by viewer ${m.by}`);
        break;
      case 'status':
        status.source = m.status;
        status.viewers = m.viewers;
        status.dropped = m.dropped;
        rules.status(m.rules, m.rulesRevision);
        recordings.status(m.recording);
        break;
      case 'error':
        toast(`${m.ref ? `${m.ref}: ` : ''}${m.message}`);
        // a refused change: the server kept its settings, and so do the controls (a rate-limited one is superseded by the next)
        if (m.ref === 'set' && m.code !== 'RATE_LIMITED') controls.refused();
        break;
      case 'picked': {
        const name = controls.setPickedRange(m.range.lower, m.range.upper);
        if (!name) toast('A pick arrived, but the colour method is no longer in use: it was not applied');
        else toast(`Picked ${m.samples} px into "${name}": ${m.range.lower.join(',')} – ${m.range.upper.join(',')} (Ctrl+Z undoes it)`);
        break;
      }
      case 'presets':
        setOptions(byId<HTMLSelectElement>('preset-list'), m.names, m.active ?? byId<HTMLSelectElement>('preset-list').value);
        break;
      case 'pong':
        break;
    }
  }

  function onState(s: ConnectionState): void {
    const e = byId('conn');
    document.body.dataset.conn = s.kind;
    controls.setAccess(role, s.kind === 'open');
    if (s.kind === 'open') e.textContent = 'connected';
    else if (s.kind === 'connecting') e.textContent = s.attempt > 1 ? `connecting (attempt ${s.attempt})…` : 'connecting…';
    else if (s.kind === 'waiting') {
      const tick = (): void => {
        const left = Math.max(0, Math.ceil((s.retryAt - Date.now()) / 1000));
        if (document.body.dataset.conn === 'waiting') e.textContent = `disconnected: ${s.reason}; retrying in ${left} s`;
      };
      tick();
      const t = window.setInterval(() => (document.body.dataset.conn === 'waiting' ? tick() : window.clearInterval(t)), 500);
    } else {
      e.textContent = s.reason;
      if (s.tokenWrong) showDenied(s.reason);
    }
  }

  // ---- views, camera picker and shortcuts
  function selectView(v: ViewName): void {
    connection.setView(v);
    localStorage.setItem(VIEW_KEY, v);
    for (const b of document.querySelectorAll<HTMLButtonElement>('#views button')) b.setAttribute('aria-pressed', String(b.dataset.view === v));
  }
  for (const b of document.querySelectorAll<HTMLButtonElement>('#views button')) b.addEventListener('click', () => selectView(b.dataset.view as ViewName));
  selectView(connection.view);
  byId<HTMLSelectElement>('camera').addEventListener('change', (e) => {
    location.href = `/cam/${encodeURIComponent((e.target as HTMLSelectElement).value)}/`;
  });

  const freeze = (): void => {
    const frozen = view.toggleFreeze();
    byId('frozen').hidden = !frozen;
    toast(frozen ? 'Picture frozen (F to resume)' : 'Picture live');
  };
  document.addEventListener('keydown', (e) => {
    const t = e.target as HTMLElement;
    // typing in a text or number field: keys are the field's; Esc leaves it so that shortcuts work again
    const typing = t.matches('input:not([type=range]):not([type=checkbox]):not([type=color]), select, textarea');
    if (typing) {
      if (e.key === 'Escape') t.blur();
      return;
    }
    if (picture.key(e)) return; // Enter and Esc while setting the crosshair or drawing a zone
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'z') {
      e.preventDefault();
      return e.shiftKey ? controls.redo() : controls.undo();
    }
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'y') {
      e.preventDefault();
      return controls.redo();
    }
    const keys: Record<string, () => void> = {
      '1': () => selectView('masked'),
      '2': () => selectView('mask'),
      '3': () => selectView('original'),
      '4': () => selectView('side'),
      f: freeze,
      c: () => controls.onTool('crosshair'),
      z: () => controls.onTool('zone'),
      o: () => {
        view.overlay = !view.overlay;
        view.redraw();
      },
    };
    const f = keys[e.key.toLowerCase()];
    if (f && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      f();
    }
  });

  // ---- hidden tab: ask for nothing while nobody can see
  document.addEventListener('visibilitychange', () => connection.setPaused(document.hidden));

  // ---- the mouse on the picture: pick (colour method), crosshair, zones; the colour under it
  const picture = new PictureInput(byId<HTMLCanvasElement>('picture'), view, controls, {
    pick: (box) => connection.send({ type: 'pick', ...box }),
    toast,
    role: () => role,
  });

  // ---- presets: the list comes from the server (to every viewer, after every change)
  const presetName = (): string => byId<HTMLSelectElement>('preset-list').value;
  byId('preset-save').addEventListener('click', () => {
    const name = byId<HTMLInputElement>('preset-name').value.trim();
    if (name) connection.send({ type: 'preset-save', name });
  });
  byId('preset-load').addEventListener('click', () => presetName() && connection.send({ type: 'preset-load', name: presetName() }));
  byId('preset-delete').addEventListener('click', () => {
    const name = presetName();
    if (name && window.confirm(`Delete the preset "${name}"? This cannot be undone.`)) connection.send({ type: 'preset-delete', name });
  });
  byId('preset-rename').addEventListener('click', () => {
    const to = byId<HTMLInputElement>('preset-name').value.trim();
    if (presetName() && to) connection.send({ type: 'preset-rename', name: presetName(), to });
  });
  byId('preset-export').addEventListener('click', async () => {
    const name = presetName();
    if (!name) return toast('Choose a saved preset to export');
    const res = await fetch(connection.apiUrl(`/api/presets/${encodeURIComponent(name)}`), { credentials: 'same-origin' });
    if (!res.ok) return toast(`Export: ${((await res.json().catch(() => ({}))) as { message?: string }).message ?? res.status}`);
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([JSON.stringify(await res.json(), null, 2)], { type: 'application/json' }));
    a.download = `${name}.json`;
    a.click();
    URL.revokeObjectURL(a.href);
  });
  byId<HTMLInputElement>('preset-import').addEventListener('change', async (e) => {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    const name =
      file.name
        .replace(/\.json$/i, '')
        .replace(/[^\w .-]/g, '_')
        .replace(/^[^A-Za-z0-9_]+/, '')
        .slice(0, 64) || 'imported';
    const res = await fetch(connection.apiUrl(`/api/presets/${encodeURIComponent(name)}`), {
      method: 'PUT',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: await file.text(),
    });
    const body = (await res.json().catch(() => ({}))) as { message?: string };
    toast(res.ok ? `Imported as preset "${name}" (Load applies it)` : `Import: ${body.message ?? res.status}`);
  });

  // ---- source switch
  byId('source-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const source = byId<HTMLInputElement>('source').value.trim();
    if (source) connection.send({ type: 'source', source });
  });

  controls.wire();
  connection.open();
  window.segcam = { status, view, controls, connection, picture, rules, recordings };
}

const camera = cameraOfPage();
if (camera !== null) startViewer(camera);
else void startOverview().then((shown) => shown || startViewer(null));
