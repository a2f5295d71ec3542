/**
 * A real mosquitto broker for tests, on a free loopback port, with its own config file in a
 * temporary folder (removed at `remove`): anonymous, or with a password file, or with TLS
 * (a throwaway CA and a certificate for 127.0.0.1, made with openssl). It can be killed and
 * started again on the same port, as a broker restart would be; it keeps no retained messages
 * across a restart (no persistence), as a broker that lost its state would.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { freePort } from './rtsp.js';

/** MosquittoOptions: anonymous by default. */
export interface MosquittoOptions {
  /** user → password; anonymous access is then refused */
  users?: Record<string, string>;
  /** a TLS listener, with a CA of its own (its file is `caFile`) */
  tls?: boolean;
}

/** Mosquitto is one broker process and its folder. */
export class Mosquitto {
  private proc: ChildProcess | null = null;
  readonly dir = mkdtempSync(join(tmpdir(), 'segcam-mosquitto-'));
  port = 0;
  /** what the broker wrote, for failing tests */
  log = '';

  constructor(private readonly opts: MosquittoOptions = {}) {}

  get url(): string {
    return `${this.opts.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${this.port}`;
  }

  get caFile(): string {
    return join(this.dir, 'ca.crt');
  }

  /** start writes the config (first time) and starts the broker; resolves once it accepts connections. */
  async start(): Promise<this> {
    if (!this.port) {
      this.port = await freePort();
      this.writeConfig();
    }
    const proc = spawn('mosquitto', ['-c', join(this.dir, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    this.proc = proc;
    const end = Date.now() + 10_000;
    while (!(await accepts(this.port))) {
      if (proc.exitCode !== null) throw new Error(`mosquitto exited (${proc.exitCode}):\n${this.log}`);
      if (Date.now() > end) throw new Error(`mosquitto did not listen on ${this.port} within 10 s:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return this;
  }

  /** kill stops the broker at once (SIGKILL): its clients see the connection drop. */
  async kill(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  }

  /** remove kills the broker and removes its folder. */
  async remove(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** client connects a test client (mqtt.js) and resolves once connected. */
  async client(o: IClientOptions = {}): Promise<MqttClient> {
    return mqtt.connectAsync(this.url, { reconnectPeriod: 0, connectTimeout: 5000, ...(this.opts.tls ? { ca: readFileSync(this.caFile) } : {}), ...o });
  }

  private writeConfig(): void {
    const lines = [`listener ${this.port} 127.0.0.1`, 'persistence false', 'log_dest stdout', 'log_type error', 'log_type warning', 'log_type notice', 'user root'];
    if (this.opts.users) {
      const file = join(this.dir, 'passwd');
      writeFileSync(file, '');
      for (const [u, p] of Object.entries(this.opts.users)) execFileSync('mosquitto_passwd', ['-b', file, u, p], { stdio: 'ignore' });
      lines.push('allow_anonymous false', `password_file ${file}`);
    } else lines.push('allow_anonymous true');
    if (this.opts.tls) {
      const d = this.dir;
      const ssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: d, stdio: 'ignore' });
      ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=segcam test CA');
      ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
      writeFileSync(join(d, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
      ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'san.ext');
      lines.push(`cafile ${join(d, 'ca.crt')}`, `certfile ${join(d, 'server.crt')}`, `keyfile ${join(d, 'server.key')}`);
    }
    writeFileSync(join(this.dir, 'mosquitto.conf'), `${lines.join('\n')}\n`);
  }
}

/** accepts is true when a TCP connection to the port succeeds. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Message is one message a test client received. */
export interface Message {
  topic: string;
  payload: Buffer;
  retain: boolean;
  at: number;
}

/**
 * Listener is a test client that keeps every message on the topics it subscribed to, and waits
 * for the ones a test expects.
 */
export class Listener {
  readonly messages: Message[] = [];
  private waiters: { pred: (m: Message) => boolean; from: number; resolve: (m: Message) => void }[] = [];

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      const m = { topic, payload, retain: packet.retain, at: Date.now() };
      this.messages.push(m);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(m)) return true;
        w.resolve(m);
        return false;
      });
    });
  }

  /** listen connects a client and subscribes it to `topics`. */
  static async listen(broker: Mosquitto, topics: string[], o: IClientOptions = {}): Promise<Listener> {
    const l = new Listener(await broker.client(o));
    await l.client.subscribeAsync(topics, { qos: 1 });
    return l;
  }

  /** mark is where the messages received so far end, for waiting on later ones only. */
  mark(): number {
    return this.messages.length;
  }

  /** next resolves with the first message (from `from` on) that matches, or rejects after `timeoutMs`. */
  next(pred: (m: Message) => boolean, timeoutMs = 5000, from = 0): Promise<Message> {
    const found = this.messages.slice(from).find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(
          new Error(
            `no matching message within ${timeoutMs} ms; got ${this.messages.length}: ${this.messages
              .slice(-8)
              .map((m) => `${m.topic}=${m.payload.toString().slice(0, 60)}`)
              .join(' | ')}`,
          ),
        );
      }, timeoutMs);
      const done = (m: Message): void => {
        clearTimeout(t);
        resolve(m);
      };
      this.waiters.push({ pred, from, resolve: done });
    });
  }

  /** on returns the messages received on one topic. */
  on(topic: string): Message[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  async close(): Promise<void> {
    await this.client.endAsync(true).catch(() => undefined);
  }
}

/** topicIs matches a topic and, optionally, a payload. */
export const topicIs =
  (topic: string, payload?: string) =>
  (m: Message): boolean =>
    m.topic === topic && (payload === undefined || m.payload.toString() === payload);
