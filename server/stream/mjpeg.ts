/**
 * MJPEG clients (`multipart/x-mixed-replace`), as mjpg-streamer and µStreamer serve them: VLC,
 * ffmpeg, an <img> tag. They take the same JPEGs as the WebSocket viewers (no extra encoding);
 * a client whose socket is still busy skips frames, and `?fps=` caps a client's rate.
 */
import type { ServerResponse } from 'node:http';
import type { View } from '../../shared/settings.js';
import type { Consumer, Delivery, PublishedFrame } from './hub.js';

/** BOUNDARY separates the parts of the stream. */
export const BOUNDARY = 'segcamframe';

/** MjpegClient is one HTTP response streaming JPEGs. */
export class MjpegClient implements Consumer {
  readonly kind = 'mjpeg' as const;
  dropped = 0;
  private lastSentAt = 0;

  constructor(
    private readonly res: ServerResponse,
    readonly watching: View,
    /** 0 = every frame */
    private readonly maxFps: number,
    private readonly maxBufferedBytes: number,
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
    if (this.res.writableLength > this.maxBufferedBytes) {
      this.dropped++;
      return 'busy';
    }
    this.lastSentAt = now;
    this.res.write(
      `--${BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${frame.jpeg.byteLength}\r\nX-Timestamp: ${(frame.ts / 1000).toFixed(3)}\r\n\r\n`,
    );
    this.res.write(frame.jpeg);
    this.res.write('\r\n');
    return 'sent';
  }
}
