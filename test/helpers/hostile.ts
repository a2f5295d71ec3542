/**
 * Sources that misbehave, on loopback: a server that accepts connections and never answers,
 * and one that answers one byte every two seconds (an HTTP or RTSP status line that never ends).
 */
import { createServer, type Server, type Socket } from 'node:net';

export interface HostileServer {
  port: number;
  /** connections accepted so far */
  accepted: () => number;
  close: () => Promise<void>;
}

function listen(onSocket: (s: Socket) => void): Promise<HostileServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    onSocket(s);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as { port: number }).port,
        accepted: () => accepted,
        close: () =>
          new Promise((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** silentServer accepts TCP connections and never sends a byte. */
export function silentServer(): Promise<HostileServer> {
  return listen(() => undefined);
}

/** dripServer answers `text` one byte every `everyMs` (default: an RTSP status line, every 2 s). */
export function dripServer(text = 'RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n', everyMs = 2000): Promise<HostileServer> {
  return listen((s) => {
    let i = 0;
    const t = setInterval(() => {
      if (s.destroyed) return clearInterval(t);
      s.write(text[i % text.length]!);
      i++;
    }, everyMs);
    s.on('close', () => clearInterval(t));
  });
}
