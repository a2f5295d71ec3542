/**
 * A slow link on loopback: a TCP proxy that forwards the server's bytes to the client at a fixed
 * rate (and the client's to the server at once). Like a real slow link, what the server sends
 * faster than that piles up in the kernel's socket buffers between them.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface SlowLink {
  port: number;
  close: () => Promise<void>;
}

/** slowLink proxies 127.0.0.1:PORT → 127.0.0.1:target, server-to-client at `bytesPerSecond`. */
export function slowLink(target: number, bytesPerSecond: number): Promise<SlowLink> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    // server → client: 20 slices a second of bytesPerSecond / 20, reading upstream only as fast
    const slice = Math.max(1, Math.round(bytesPerSecond / 20));
    let pending = Buffer.alloc(0);
    upstream.on('data', (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      if (pending.length > slice * 4) upstream.pause(); // the rest waits in the kernel, as on a real link
    });
    const timer = setInterval(() => {
      if (!pending.length) return;
      client.write(pending.subarray(0, slice));
      pending = pending.subarray(slice);
      if (pending.length <= slice * 4) upstream.resume();
    }, 50);
    client.on('close', () => clearInterval(timer));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as { port: number }).port,
        close: () =>
          new Promise((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      }),
    );
  });
}
