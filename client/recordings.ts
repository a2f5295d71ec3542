/**
 * The recordings section: a Record / Stop button, the recording being made (its id, why, its
 * frames and length so far, from the status messages), and the camera's recordings, newest
 * first (id, reason, start, length, frames, size), each with a download link (a tar of its
 * JPEGs and their metadata) and a delete button that asks first. The list is fetched again
 * after every change made here, and whenever the status shows a recording start or stop.
 */
import type { RecordingNow } from '../shared/protocol.js';
import type { RecordingInfo, RecordingListing, RecordingsReport } from '../shared/outputs.js';
import { applyOff, el } from './dom.js';
import { dateTime, duration, size } from './format.js';
import type { OutputsContext } from './section.js';

const TICK_MS = 500;
const message = (e: unknown): string => (e as Error).message ?? String(e);
const reasonText = (r: string): string => (r.startsWith('rule:') ? `rule ${r.slice(5)}` : r);

export class RecordingsSection {
  readonly element: HTMLElement;
  readonly button = el('button', { type: 'button', id: 'record', 'aria-pressed': 'false', title: 'Record the camera’s picture as JPEG frames with their analysis' }, '● Record');
  private readonly now = el('div', { id: 'recording-now', class: 'readout', role: 'status' });
  private readonly list = el('div', { id: 'recording-list' });
  private readonly empty = el('p', { class: 'note', id: 'recording-empty' }, 'No recordings.');
  private recording: RecordingNow | null = null;
  private recordings: RecordingListing[] = [];
  private key = '';
  private loaded = false;
  private busy = false;
  private refreshing: Promise<void> | null = null;
  private again = false;

  constructor(private readonly ctx: OutputsContext) {
    this.button.addEventListener('click', () => void this.toggle());
    this.element = el('div', {}, el('div', { class: 'row record-row' }, this.button, this.now), this.list, this.empty);
    window.setInterval(() => this.renderNow(), TICK_MS);
    this.renderNow();
  }

  /** refresh fetches the list and what the recorder is doing. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        try {
          const r = await this.ctx.api.get<RecordingsReport>('/api/recordings');
          this.loaded = true;
          const now = r.recorder?.recording;
          this.recording = now ? { id: now.id, reason: now.reason, started: now.started, frames: now.frames } : null;
          this.recordings = r.recordings;
          this.build();
          this.renderNow();
        } catch (e) {
          this.ctx.toast(`Recordings: ${message(e)}`);
        }
      } while (this.again);
      this.refreshing = null;
    })();
    return this.refreshing;
  }

  /** status takes the recording being made from a status message: a start or stop elsewhere (a rule, another viewer) fetches the list again. */
  status(now: RecordingNow | null | undefined): void {
    if (now === undefined) return;
    const was = this.recording?.id ?? null;
    this.recording = now;
    if (this.loaded && (now?.id ?? null) !== was) void this.refresh();
    this.renderNow();
  }

  private async toggle(): Promise<void> {
    if (this.busy || this.ctx.readOnly) return;
    this.busy = true;
    this.button.dataset.off = 'true';
    applyOff(this.element, this.ctx.readOnly);
    try {
      if (this.recording) {
        const r = await this.ctx.api.send<{ stopped: RecordingInfo | null }>('POST', '/api/recordings/stop');
        this.recording = null;
        this.ctx.toast(r.stopped ? `Recording ${r.stopped.id} stopped: ${r.stopped.frames} frames, ${size(r.stopped.bytes)}` : 'Nothing was being recorded');
      } else {
        const r = await this.ctx.api.send<RecordingInfo>('POST', '/api/recordings/start', {});
        this.recording = { id: r.id, reason: r.reason, started: r.started, frames: r.frames };
        this.ctx.toast('Recording started');
      }
    } catch (e) {
      this.ctx.toast(`Recording: ${message(e)}`);
    } finally {
      this.busy = false;
      this.button.dataset.off = 'false';
      applyOff(this.element, this.ctx.readOnly);
      this.renderNow();
      await this.refresh();
    }
  }

  private async remove(id: string): Promise<void> {
    if (!window.confirm(`Delete the recording "${id}"? This cannot be undone.`)) return;
    try {
      await this.ctx.api.send('DELETE', `/api/recordings/${encodeURIComponent(id)}`);
      this.ctx.toast(`Recording ${id} deleted`);
    } catch (e) {
      this.ctx.toast(`Recording ${id}: ${message(e)}`);
    }
    await this.refresh();
  }

  private build(): void {
    const key = JSON.stringify(this.recordings);
    if (key === this.key) return;
    this.key = key;
    this.list.replaceChildren(
      ...this.recordings.map((r) => {
        const url = this.ctx.api.url(`/api/recordings/${encodeURIComponent(r.id)}/download`);
        const download = el(
          'a',
          { class: 'button download', href: url, download: `${r.camera}-${r.id}.tar`, 'aria-label': `download recording ${r.id}`, title: 'A tar of its JPEG frames and metadata' },
          'Download',
        );
        const remove = el(
          'button',
          {
            type: 'button',
            class: 'remove',
            'aria-label': `delete recording ${r.id}`,
            title: r.active ? 'Being written: stop it first' : 'Delete this recording',
            'data-off': String(r.active),
          },
          '✕',
        );
        remove.addEventListener('click', () => void this.remove(r.id));
        const length = r.stopped !== null ? duration(r.stopped - r.started) : 'interrupted';
        return el(
          'div',
          { class: 'recording', 'data-id': r.id, 'data-active': String(r.active) },
          el('div', { class: 'row' }, el('span', { class: 'rec-id readout' }, r.id), el('span', { class: 'note rec-reason' }, reasonText(r.reason)), download, remove),
          el('div', { class: 'note rec-info' }, r.active ? '' : `${dateTime(r.started)} · ${length} · ${r.frames} frames · ${size(r.bytes)}`),
        );
      }),
    );
    this.empty.hidden = this.recordings.length > 0;
    applyOff(this.element, this.ctx.readOnly);
  }

  /** renderNow shows the recording being made (in its list entry too: the listing is what was on disk) and what the button does. */
  private renderNow(): void {
    const r = this.recording;
    for (const e of this.list.querySelectorAll<HTMLElement>('.recording[data-active="true"]')) {
      const info = e.querySelector('.rec-info')!;
      const listed = this.recordings.find((x) => x.id === e.dataset.id);
      if (!listed) continue;
      info.textContent =
        r && r.id === listed.id
          ? `${dateTime(r.started)} · recording for ${duration(this.ctx.serverNow() - r.started)} · ${r.frames} frames so far`
          : `${dateTime(listed.started)} · being written`;
    }
    this.button.textContent = r ? '■ Stop' : '● Record';
    this.button.setAttribute('aria-pressed', String(r !== null));
    this.button.classList.toggle('recording', r !== null);
    this.element.dataset.recording = String(r !== null);
    this.now.classList.toggle('live', r !== null);
    this.now.textContent = r ? `${r.id || 'starting'} (${reasonText(r.reason)}) · ${r.frames} frames · ${duration(this.ctx.serverNow() - r.started)}` : 'not recording';
  }
}
