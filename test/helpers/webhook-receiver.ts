/**
 * A real HTTP receiver on loopback for webhook tests: it keeps every request (raw body
 * included) and answers from a script: a status code, `hang` (never answer), or `reset` (drop
 * the connection); once the script is used up, `otherwise` (default 200). It can be stopped (the
 * port then refuses connections) and started again on the same port.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Reply is how the receiver answers one request: a status code, never (`hang`), or by dropping the connection (`reset`). */
export type Reply = number | 'hang' | 'reset';

/** Received is one request as it arrived. */
export interface Received {
  at: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** the raw body, exactly as sent */
  body: Buffer;
}

/** WebhookReceiver is one HTTP server on loopback and what it received. */
export class WebhookReceiver {
  readonly received: Received[] = [];
  /** answers for the next requests, in order */
  script: Reply[] = [];
  /** the answer once the script is used up */
  otherwise: Reply = 200;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly hanging = new Set<ServerResponse>();
  private waiters: { n: number; resolve: () => void }[] = [];
  port = 0;

  /** start listens (on a kernel-chosen port the first time, on the same port after a stop). */
  async start(): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({ at: Date.now(), method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
        const reply = this.script.length ? this.script.shift()! : this.otherwise;
        if (reply === 'hang') this.hanging.add(res);
        else if (reply === 'reset') req.socket.destroy();
        else res.writeHead(reply, { 'Content-Type': 'text/plain' }).end(String(reply));
        for (const w of this.waiters.filter((x) => this.received.length >= x.n)) w.resolve();
        this.waiters = this.waiters.filter((x) => this.received.length < x.n);
      });
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
    return this;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** waitFor resolves once `n` requests have arrived, or rejects after `timeoutMs`. */
  waitFor(n: number, timeoutMs = 5000): Promise<void> {
    if (this.received.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`receiver got ${this.received.length} of ${n} requests within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        n,
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
      });
    });
  }

  /** stop closes the port and every connection (hanging requests included). */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    for (const r of this.hanging) r.destroy();
    this.hanging.clear();
    for (const sock of this.sockets) sock.destroy();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

/** startReceiver starts a receiver on a free loopback port. */
export function startReceiver(): Promise<WebhookReceiver> {
  return new WebhookReceiver().start();
}
