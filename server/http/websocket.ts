/**
 * The WebSocket endpoint: checks path, Origin, token and capacity on each upgrade request, then
 * hands the socket to a WsViewer; runs the ping/pong heartbeat that drops dead peers.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { CLOSE_CODES, MAX_CLIENT_MESSAGE_BYTES, WS_PATH } from '../../shared/protocol.js';
import type { Logger } from '../log.js';
import type { Hub } from '../stream/hub.js';
import { WsViewer, type ViewerContext } from '../stream/viewer.js';
import { authMessage, type Auth } from './auth.js';

/** HEARTBEAT_MS between pings; a viewer that has not answered the previous ping is dropped. */
export const HEARTBEAT_MS = 15_000;

export interface WebSocketOptions {
  auth: Auth;
  hub: Hub;
  log: Logger;
  allowOrigins: string[];
  maxViewers: number;
  context: ViewerContext;
  /** called with each new viewer, after it is registered */
  onViewer: (v: WsViewer) => void;
}

/** attachWebSocket serves /ws on an HTTP server; returns the set of live viewers and a closer. */
export function attachWebSocket(server: Server, o: WebSocketOptions): { viewers: Set<WsViewer>; close: () => void } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES, perMessageDeflate: false });
  const viewers = new Set<WsViewer>();
  let nextId = 1;

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: number, text: string, message: string): void => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`);
    };
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== WS_PATH) return refuse(404, 'Not Found', `no WebSocket endpoint at ${path}; use ${WS_PATH}`);
    const origin = req.headers.origin;
    if (origin && !originAllowed(origin, req.headers.host, o.allowOrigins)) {
      o.log.warn(`WebSocket from origin ${origin} refused (allow it with --allow-origin)`);
      return refuse(403, 'Forbidden', `origin ${origin} is not allowed`);
    }
    const result = o.auth.check(req);
    if (!result.ok) return refuse(result.reason === 'throttled' ? 429 : 401, result.reason === 'throttled' ? 'Too Many Requests' : 'Unauthorized', authMessage(result));
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (o.hub.size >= o.maxViewers) {
        ws.close(CLOSE_CODES.TRY_AGAIN_LATER, `too many viewers (the most is ${o.maxViewers})`);
        return;
      }
      const viewer = new WsViewer(nextId++, result.role, ws, o.context);
      viewers.add(viewer);
      o.hub.add(viewer);
      ws.on('close', () => {
        viewers.delete(viewer);
        o.hub.remove(viewer);
      });
      o.onViewer(viewer);
    });
  });

  const heartbeat = setInterval(() => {
    for (const v of viewers) {
      if (!v.alive) {
        v.socket.terminate();
        continue;
      }
      v.alive = false;
      v.socket.ping();
    }
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

/** originAllowed accepts the page's own origin and any configured extra origin. */
export function originAllowed(origin: string, host: string | undefined, extra: string[]): boolean {
  if (extra.includes(origin)) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
