/**
 * The WebSocket endpoints: `/cam/NAME/ws` for each camera (and `/ws` for the first). Each
 * upgrade request is checked (Host, path, Origin, token, capacity) before the socket exists,
 * then handed to a WsViewer of its camera. A heartbeat pings every viewer with a nonce and
 * drops those that did not answer the last one.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { CLOSE_CODES, MAX_CLIENT_MESSAGE_BYTES, WS_PATH } from '../../shared/protocol.js';
import type { Camera } from '../front/camera.js';
import type { Logger } from '../log.js';
import { WsViewer, type ViewerContext } from '../stream/viewer.js';
import { authMessage, type Auth, type AuthResult } from './auth.js';
import { hostAllowed, misdirected, originAllowed } from './host.js';

/** HEARTBEAT_MS between pings; a viewer that has not answered the previous ping is dropped. */
export const HEARTBEAT_MS = 15_000;

export interface WebSocketOptions {
  auth: Auth;
  log: Logger;
  cameras: Camera[];
  allowOrigins: string[];
  allowHosts: string[];
  listenHost: string;
  maxViewers: number;
  /** consumers of every camera now */
  consumers: () => number;
  /** the context of a new viewer of a camera */
  context: (camera: Camera) => ViewerContext;
  /** called with each new viewer, after it is registered */
  onViewer: (camera: Camera, v: WsViewer) => void;
  onGone: (camera: Camera, v: WsViewer) => void;
}

/** cameraOfPath maps a WebSocket path to its camera: `/ws` is the first, `/cam/NAME/ws` NAME's. */
export function cameraOfPath(path: string, cameras: Camera[]): Camera | null {
  if (path === WS_PATH) return cameras[0] ?? null;
  const m = /^\/cam\/([^/]+)\/ws$/.exec(path);
  if (!m) return null;
  let name: string;
  try {
    name = decodeURIComponent(m[1]!);
  } catch {
    return null;
  }
  return cameras.find((c) => c.name === name) ?? null;
}

/** attachWebSocket serves the WebSocket endpoints on an HTTP server; returns the live viewers and a closer. */
export function attachWebSocket(server: Server, o: WebSocketOptions): { viewers: Set<WsViewer>; close: () => void } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES, perMessageDeflate: false });
  const viewers = new Set<WsViewer>();
  let nextId = 1;

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    const refuse = (status: number, text: string, message: string, extra = ''): void => {
      socket.end(
        `HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n${extra}Content-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
      );
    };
    if (!hostAllowed(req.headers.host, o.allowHosts, o.listenHost)) return refuse(421, 'Misdirected Request', misdirected(req.headers.host ?? ''));
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const camera = cameraOfPath(path, o.cameras);
    if (!camera) return refuse(404, 'Not Found', `no WebSocket endpoint at ${path.slice(0, 100)}; use /cam/NAME/ws (or ${WS_PATH} for the first camera)`);
    const origin = req.headers.origin;
    if (origin && !originAllowed(origin, req.headers.host, o.allowOrigins)) {
      o.log.warn(`WebSocket from origin ${origin.slice(0, 100)} refused (allow it with --allow-origin)`);
      return refuse(403, 'Forbidden', `origin ${origin.slice(0, 100)} is not allowed`);
    }
    const proceed = (result: AuthResult): void => {
      if (!result.ok) {
        if (result.reason === 'throttled') return refuse(429, 'Too Many Requests', authMessage(result), `Retry-After: ${result.retryAfterS}\r\n`);
        return refuse(401, 'Unauthorized', authMessage(result));
      }
      if (socket.destroyed) return;
      wss.handleUpgrade(req, socket, head, (ws) => {
        if (o.consumers() >= o.maxViewers) {
          ws.close(CLOSE_CODES.TRY_AGAIN_LATER, `too many viewers (the most is ${o.maxViewers})`);
          return;
        }
        const viewer = new WsViewer(nextId++, result.role, ws, o.context(camera));
        viewers.add(viewer);
        camera.hub.add(viewer);
        ws.on('close', () => {
          viewers.delete(viewer);
          camera.hub.remove(viewer);
          o.onGone(camera, viewer);
        });
        o.onViewer(camera, viewer);
      });
    };
    const result = o.auth.check(req);
    if (!result.ok && result.reason === 'wrong') return o.auth.delay(result, proceed);
    proceed(result);
  });

  const heartbeat = setInterval(() => {
    for (const v of viewers) if (!v.heartbeat()) v.socket.terminate();
  }, HEARTBEAT_MS);
  heartbeat.unref();

  return {
    viewers,
    close: () => {
      clearInterval(heartbeat);
      for (const v of viewers) v.socket.close(CLOSE_CODES.GOING_AWAY, 'server shutting down');
      wss.close();
    },
  };
}
