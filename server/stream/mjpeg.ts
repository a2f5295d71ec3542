/**
 * MJPEG clients (`multipart/x-mixed-replace`), as mjpg-streamer and µStreamer serve them: VLC,
 * ffmpeg, an <img> tag. They take the same JPEGs as the WebSocket viewers (no extra encoding).
 * A client gets a frame only once the one before has left this process for the kernel, so at
 * most one frame waits for it here (the rest of its lag is in TCP's buffers); `?fps=` caps its
 * rate; and a client that takes nothing for STALLED_CLOSE_MS is disconnected, freeing its slot.
 */
import type { ServerResponse } from 'node:http';
import type { View } from '../../shared/settings.js';
import type { Consumer, Delivery, PublishedFrame } from './hub.js';

/** BOUNDARY separates the parts of the stream. */
export const BOUNDARY = 'segcamframe';
/** STALLED_CLOSE_MS: a client that has not taken a frame for this long is closed. */
export const STALLED_CLOSE_MS = 15_000;

/** MjpegClient is one HTTP response streaming JPEGs. */
export class MjpegClient implements Consumer {
  readonly kind = 'mjpeg' as const;
  dropped = 0;
  private lastSentAt = 0;
  private busySince: number | null = null;

  constructor(
    private readonly res: ServerResponse,
    readonly watching: View,
    /** 0 = every frame */
    private readonly maxFps: number,
  ) {
    res.writeHead(200, {
      'Content-Type': `multipart/x-mixed-replace; boundary=${BOUNDARY}`,
      'Cache-Control': 'no-store, no-cache, must-revalidate, max-age=0',
      Pragma: 'no-cache',
      Connection: 'close',
      'X-Accel-Buffering': 'no', // tell reverse proxies not to buffer the stream
    });
    res.socket?.setNoDelay(true);
  }

  deliver(frame: PublishedFrame): Delivery {
    if (this.res.writableEnded || this.res.destroyed) return 'passed';
    const now = performance.now();
    if (this.maxFps > 0 && now - this.lastSentAt < 1000 / this.maxFps - 2) return 'passed'; // capped, not dropped
    if (this.res.writableLength > 0) {
      this.dropped++;
      this.busySince ??= now;
      if (now - this.busySince > STALLED_CLOSE_MS) this.res.destroy();
      return 'busy';
    }
    this.busySince = null;
    this.lastSentAt = now;
    this.res.write(`--${BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${frame.jpeg.byteLength}\r\nX-Timestamp: ${(frame.ts / 1000).toFixed(3)}\r\n\r\n`);
    this.res.write(frame.jpeg);
    this.res.write('\r\n');
    return 'sent';
  }
}
