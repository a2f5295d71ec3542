/**
 * A network source's first answer, asked for in plain Node before FFmpeg is given the URL: it
 * tells a refused connection, an unknown host, a missing stream and a server that never
 * answers (or answers a byte at a time) apart, each with its reason code, within a deadline.
 * HTTP(S) gets a GET whose status line and headers must arrive; RTSP(S) a DESCRIBE whose
 * status line must. Only what answers goes on to OpenCV.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { REASONS, type Reason } from '../../shared/status.js';
import { redactSource } from './source.js';

/** PrecheckResult: the server answered (go on), or why it did not. */
export type PrecheckResult = { ok: true } | { ok: false; reason: Reason; error: string };

/** precheck asks a URL source for its first answer, giving up at `deadlineMs`. */
export function precheck(url: string, deadlineMs: number): Promise<PrecheckResult> {
  const u = new URL(url);
  const label = redactSource(url);
  const hasCredentials = Boolean(u.username || u.password);
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: PrecheckResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      cleanup();
      resolve(r);
    };
    let cleanup = (): void => undefined;
    const timer = setTimeout(() => finish({ ok: false, reason: REASONS.TIMEOUT, error: `no answer from ${label} within ${(deadlineMs / 1000).toFixed(1)} s` }), deadlineMs);
    const fail = (e: NodeJS.ErrnoException): void => finish(networkFailure(e, label));
    const status = (code: number, text: string): void => {
      if (code < 400) return finish({ ok: true });
      // credentials FFmpeg may use another way (digest): let it try
      if ((code === 401 || code === 403) && hasCredentials) return finish({ ok: true });
      if (code === 401 || code === 403) return finish({ ok: false, reason: REASONS.UNAUTHORIZED, error: `${label} wants credentials (${code} ${text})` });
      if (code === 404 || code === 410) return finish({ ok: false, reason: REASONS.NOT_FOUND, error: `${label}: no such stream (${code} ${text})` });
      finish({ ok: false, reason: REASONS.NO_SIGNAL, error: `${label} answered ${code} ${text}` });
    };

    if (u.protocol === 'http:' || u.protocol === 'https:') {
      const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, { method: 'GET', rejectUnauthorized: false, headers: { 'user-agent': 'segcam' } }, (res) => {
        status(res.statusCode ?? 0, res.statusMessage ?? '');
        res.destroy();
      });
      req.on('error', fail);
      req.end();
      cleanup = () => req.destroy();
      return;
    }

    // RTSP: DESCRIBE without the credentials, and wait for the status line
    const port = Number(u.port) || (u.protocol === 'rtsps:' ? 322 : 554);
    const target = `${u.protocol}//${u.host}${u.pathname}${u.search}`;
    const socket: Socket =
      u.protocol === 'rtsps:' ? tlsConnect({ host: u.hostname, port, rejectUnauthorized: false, servername: u.hostname }) : netConnect({ host: u.hostname, port });
    cleanup = () => socket.destroy();
    socket.setNoDelay(true);
    socket.on('error', fail);
    socket.once(u.protocol === 'rtsps:' ? 'secureConnect' : 'connect', () => {
      socket.write(`DESCRIBE ${target} RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\nUser-Agent: segcam\r\n\r\n`);
    });
    let head = '';
    socket.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      const eol = head.indexOf('\r\n');
      if (eol < 0) {
        if (head.length > 1024) finish({ ok: false, reason: REASONS.NO_SIGNAL, error: `${label} does not speak RTSP` });
        return;
      }
      const m = /^RTSP\/1\.\d (\d{3}) ?(.*)$/.exec(head.slice(0, eol));
      if (!m) return finish({ ok: false, reason: REASONS.NO_SIGNAL, error: `${label} does not speak RTSP` });
      status(Number(m[1]), m[2] ?? '');
    });
    socket.on('end', () => finish({ ok: false, reason: REASONS.LOST, error: `${label} closed the connection without answering` }));
  });
}

/** networkFailure names a socket error the way a user thinks of it. */
export function networkFailure(e: NodeJS.ErrnoException, label: string): { ok: false; reason: Reason; error: string } {
  switch (e.code) {
    case 'ECONNREFUSED':
      return { ok: false, reason: REASONS.REFUSED, error: `${label}: connection refused` };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return { ok: false, reason: REASONS.NOT_FOUND, error: `${label}: host not found` };
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return { ok: false, reason: REASONS.TIMEOUT, error: `${label}: host unreachable (${e.code})` };
    case 'ECONNRESET':
    case 'EPIPE':
      return { ok: false, reason: REASONS.LOST, error: `${label}: connection reset` };
    default:
      return { ok: false, reason: REASONS.NO_SIGNAL, error: `${label}: ${e.code ?? e.message}` };
  }
}
