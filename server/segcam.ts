/**
 * The server assembled: settings → pipeline → hub → HTTP and WebSocket, started in that order
 * and stopped in reverse. Every frame takes one path: pipeline `frame` → hub.publish → sockets.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pack } from '../shared/protocol.js';
import { DEFAULT_SETTINGS } from '../shared/settings.js';
import type { Config } from './config.js';
import { Auth } from './http/auth.js';
import { createApp } from './http/app.js';
import { Metrics } from './http/metrics.js';
import { attachWebSocket } from './http/websocket.js';
import type { Logger } from './log.js';
import { Pipeline } from './pipeline/pipeline.js';
import { PresetStore } from './settings/presets.js';
import { SettingsStore, loadSettingsFile, SETTINGS_FILE } from './settings/store.js';
import { Control } from './stream/control.js';
import { Hub } from './stream/hub.js';

const STATUS_EVERY_MS = 2000;

/** Running is a started server. */
export interface Running {
  server: Server;
  port: number;
  stop(): Promise<void>;
}

/**
 * startSegcam starts everything. Settings come from the flags, else from --preset, else from the
 * last saved file, else the defaults; a broken saved file throws SettingsFileError (and is left alone).
 */
export async function startSegcam(config: Config, log: Logger, onFatal: (reason: string) => void = () => undefined): Promise<Running> {
  // 1. settings
  const presets = new PresetStore(config.dataDir);
  const saved = await loadSettingsFile(join(config.dataDir, SETTINGS_FILE));
  const fromPreset = config.preset ? await presets.load(config.preset) : null;
  const initial = config.initialSettings ?? fromPreset ?? saved ?? DEFAULT_SETTINGS;
  const store = new SettingsStore(initial, config.dataDir, log);

  // 2. pipeline: capture → segment → encode
  const pipeline = new Pipeline(
    {
      reader: { width: config.width, height: config.height, fps: config.fps, fourcc: config.fourcc },
      loop: config.loop,
      rtspTransport: config.rtspTransport,
      retry: { minMs: config.retryMinMs, maxMs: config.retryMaxMs },
      stallTimeoutMs: config.stallTimeoutMs,
      openTimeoutMs: config.openTimeoutMs,
    },
    store.current,
    log,
  );

  pipeline.on('fatal', onFatal);

  // 3. broadcast
  const hub = new Hub((views) => pipeline.setViews(views));
  const metrics = new Metrics(pipeline, hub);
  pipeline.on('frame', (frame) => {
    hub.publish(frame);
    metrics.observe(frame);
  });
  const control = new Control(store, presets, pipeline, log);
  const auth = new Auth(config.auth, log);
  const startedAt = Date.now();

  // 4. HTTP and WebSocket
  const app = createApp({ control, hub, pipeline, store, auth, metrics, log, maxViewers: config.maxViewers, maxBufferedBytes: config.maxBufferedBytes, startedAt });
  const server = createServer(app);
  server.requestTimeout = 0; // MJPEG streams are long-lived
  server.headersTimeout = 10_000;
  const ws = attachWebSocket(server, {
    auth,
    hub,
    log,
    allowOrigins: config.allowOrigins,
    maxViewers: config.maxViewers,
    context: {
      control,
      log,
      maxBufferedBytes: config.maxBufferedBytes,
      status: () => pipeline.status,
      viewers: () => hub.count('ws') + hub.count('mjpeg'),
      revision: () => store.revision,
      onViewChange: () => hub.updateDemand(),
    },
    onViewer: (v) => {
      v.hello(store.current);
      for (const other of ws.viewers) if (other !== v) other.sendStatus(); // viewer count changed
    },
  });

  // control → pipeline and every viewer
  store.on('change', (change) => {
    pipeline.setSettings(change.settings);
    const bytes = pack({ type: 'settings', settings: change.settings, revision: change.revision, by: change.by, ...(change.id !== undefined ? { id: change.id } : {}) });
    for (const v of ws.viewers) v.sendPacked(bytes);
  });
  pipeline.on('status', (status) => {
    if (status.state !== 'live') hub.forget();
    for (const v of ws.viewers) v.sendStatus();
  });
  const statusTimer = setInterval(() => {
    for (const v of ws.viewers) v.sendStatus();
  }, STATUS_EVERY_MS);
  statusTimer.unref();

  pipeline.start(config.source);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    server,
    port,
    async stop() {
      clearInterval(statusTimer);
      ws.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pipeline.stop();
      await store.flush();
    },
  };
}
