/**
 * The overview at `/` when the server has more than one camera: a card per camera with a live
 * thumbnail (a snapshot a second), its state with the reason, its coverage, and a link to its
 * viewer. Everything comes from `GET /api/cameras` and the cameras' snapshot URLs.
 */
import { cameraPrefix, type CamerasResponse } from '../shared/protocol.js';
import type { CameraSummary } from '../shared/status.js';
import { el } from './dom.js';

const REFRESH_MS = 1000;

/** fetchCameras lists the cameras, or throws with the server's sentence. */
export async function fetchCameras(): Promise<CameraSummary[]> {
  const res = await fetch('/api/cameras', { credentials: 'same-origin' });
  if (!res.ok) throw new Error(((await res.json().catch(() => ({}))) as { message?: string }).message ?? `HTTP ${res.status}`);
  return ((await res.json()) as CamerasResponse).cameras;
}

/** Overview keeps the cards of every camera up to date. */
export class Overview {
  private readonly cards = new Map<string, { root: HTMLElement; img: HTMLImageElement; state: HTMLElement; coverage: HTMLElement; busy: boolean }>();
  private timer = 0;

  constructor(private readonly root: HTMLElement) {}

  start(): void {
    void this.refresh();
    this.timer = window.setInterval(() => void this.refresh(), REFRESH_MS);
  }

  stop(): void {
    window.clearInterval(this.timer);
  }

  private async refresh(): Promise<void> {
    let cameras: CameraSummary[];
    try {
      cameras = await fetchCameras();
    } catch (e) {
      this.root.dataset.error = (e as Error).message;
      return;
    }
    delete this.root.dataset.error;
    for (const c of cameras) this.update(c);
  }

  /** thumbnail fetches one snapshot (one at a time per card: a slow camera never piles up requests). */
  private async thumbnail(name: string, card: { img: HTMLImageElement; busy: boolean }): Promise<void> {
    card.busy = true;
    try {
      const res = await fetch(`${cameraPrefix(name)}/snapshot.jpg?view=original`, { credentials: 'same-origin' });
      if (!res.ok) return;
      const url = URL.createObjectURL(await res.blob());
      const old = card.img.src;
      card.img.src = url;
      if (old.startsWith('blob:')) URL.revokeObjectURL(old);
    } catch {
      // the next refresh tries again
    } finally {
      card.busy = false;
    }
  }

  private update(c: CameraSummary): void {
    let card = this.cards.get(c.name);
    if (!card) {
      const img = el('img', { alt: `camera ${c.name}`, width: 320, height: 180 });
      const state = el('span', { class: 'state' });
      const coverage = el('span', { class: 'coverage' });
      const root = el(
        'a',
        { class: 'camera-card', href: `${cameraPrefix(c.name)}/`, 'data-camera': c.name },
        img,
        el('div', { class: 'caption' }, el('strong', {}, c.name), state, coverage),
      );
      this.root.append(root);
      card = { root, img, state, coverage, busy: false };
      this.cards.set(c.name, card);
    }
    card.root.dataset.state = c.state;
    card.state.textContent = c.state === 'live' ? `live ${c.width}×${c.height}` : `${c.state} · ${c.reason}${c.error ? `: ${c.error}` : ''}`;
    card.state.title = c.source;
    card.coverage.textContent = c.coverage === null ? '' : `${c.coverage.toFixed(1)}% in mask`;
    if (c.state === 'live' && !card.busy) void this.thumbnail(c.name, card);
  }
}
