/**
 * The status overlay: received fps, end-to-end latency (capture on the server to display here,
 * through the ping/pong clock offset), bitrate, frames this viewer missed, viewers, and the
 * source's state (live, reconnecting with a countdown, offline with the reason).
 */
import type { SourceStatus } from '../shared/protocol.js';

const WINDOW_MS = 2000;

export class StatusOverlay {
  private shown: { at: number; bytes: number; latency: number }[] = [];
  dropped = 0;
  viewers = 0;
  source: SourceStatus | null = null;

  constructor(
    private readonly hud: HTMLElement,
    private readonly banner: HTMLElement,
    private readonly sourceLabel: HTMLElement,
  ) {
    window.setInterval(() => this.render(), 250);
  }

  /** displayed records a frame that reached the screen; latency in ms. */
  displayed(bytes: number, latency: number): void {
    const now = performance.now();
    this.shown.push({ at: now, bytes, latency });
    while (this.shown.length && this.shown[0]!.at < now - WINDOW_MS) this.shown.shift();
  }

  /** figures are the current measurements (also read by the browser tests). */
  figures(): { fps: number; latencyMs: number; p95LatencyMs: number; kbps: number } {
    const now = performance.now();
    const recent = this.shown.filter((s) => s.at >= now - WINDOW_MS);
    if (recent.length < 2) return { fps: 0, latencyMs: NaN, p95LatencyMs: NaN, kbps: 0 };
    const span = (now - recent[0]!.at) / 1000;
    const lat = recent.map((s) => s.latency).sort((a, b) => a - b);
    return {
      fps: recent.length / Math.max(span, 0.001),
      latencyMs: lat[Math.floor(lat.length / 2)]!,
      p95LatencyMs: lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.95))]!,
      kbps: (recent.reduce((a, s) => a + s.bytes, 0) * 8) / 1000 / Math.max(span, 0.001),
    };
  }

  render(): void {
    const f = this.figures();
    const s = this.source;
    const state = s ? stateText(s) : 'connecting';
    this.hud.textContent = `${f.fps.toFixed(1)} fps · ${Number.isFinite(f.latencyMs) ? f.latencyMs.toFixed(0) : '–'} ms · ${(f.kbps / 1000).toFixed(2)} Mbit/s · dropped ${this.dropped} · ${this.viewers} viewer${this.viewers === 1 ? '' : 's'} · ${state}`;
    this.hud.dataset.fps = f.fps.toFixed(2);
    this.hud.dataset.latency = Number.isFinite(f.latencyMs) ? f.latencyMs.toFixed(1) : '';
    this.sourceLabel.textContent = s ? `${s.source} (${s.kind})` : '';
    this.sourceLabel.title = s ? `source: ${s.source}` : '';
    const problem = s && s.state !== 'live';
    this.banner.hidden = !problem;
    if (problem) {
      this.banner.textContent = `Source ${state}${s.error ? `: ${s.error}` : ''}`;
      this.banner.dataset.reason = s.reason;
    }
  }
}

export function stateText(s: SourceStatus): string {
  if (s.state === 'restarting') return 'camera restarting';
  if (s.state === 'reconnecting') {
    const left = s.retryAt ? Math.max(0, Math.ceil((s.retryAt - Date.now()) / 1000)) : null;
    return `reconnecting (attempt ${s.attempt ?? 1}${left !== null ? `, next try in ${left} s` : ''})`;
  }
  if (s.state === 'live') return `live ${s.width}×${s.height}${s.fps ? ` @ ${Math.round(s.fps)} fps` : ''}`;
  return s.state;
}
