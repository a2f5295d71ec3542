/**
 * The front process, assembled: tokens → the data folder (moved to the per-camera layout if
 * needed) → each camera's settings, presets and supervised process → HTTP and WebSocket, started
 * in that order and stopped in reverse. It never loads OpenCV: every frame arrives from a
 * camera process as JPEG bytes and takes one path, camera → hub → sockets; every change takes
 * one path, socket or API → control → store → camera process and every viewer.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ERROR_CODES, SegcamError, applySettingsPatch, pack } from '../../shared/protocol.js';
import { DEFAULT_SETTINGS, recipeOf, type Settings } from '../../shared/settings.js';
import { DEFAULT_CAMERA } from '../../shared/status.js';
import type { CameraConfig, Config } from '../config/config.js';
import { ConfigError } from '../config/flags.js';
import { Control } from '../control/control.js';
import { removeStaleTemps } from '../control/file.js';
import { cameraDir, migrateDataDir } from '../control/migrate.js';
import { PresetStore } from '../control/presets.js';
import { SettingsStore, loadSettingsFile, SETTINGS_FILE } from '../control/store.js';
import { resolveTokens, type Tokens } from '../control/tokens.js';
import { Auth } from '../http/auth.js';
import { createApp } from '../http/app.js';
import type { Services } from '../http/api.js';
import { Metrics } from '../http/metrics.js';
import { attachWebSocket } from '../http/websocket.js';
import type { Logger } from '../log.js';
import { tunedEnv } from '../malloc.js';
import type { WsViewer } from '../stream/viewer.js';
import { Camera } from './camera.js';
import { loadRules, Outputs } from './outputs.js';

const STATUS_EVERY_MS = 2000;
/** HTTP requests (headers and body) must arrive within this; streams' responses are not bound by it */
const REQUEST_TIMEOUT_MS = 15_000;

/** Running is a started front. */
export interface Running {
  server: Server;
  port: number;
  tokens: Tokens | null;
  cameras: Camera[];
  stop(): Promise<void>;
}

/** cameraEnv is a camera process's environment: the allocator tunables and its own FFmpeg options. */
export function cameraEnv(c: CameraConfig, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...tunedEnv(env),
    // OpenCV and FFmpeg print warnings natively (not through Node); segcam reports failures itself
    OPENCV_LOG_LEVEL: env.OPENCV_LOG_LEVEL ?? 'ERROR',
    OPENCV_FFMPEG_LOGLEVEL: env.OPENCV_FFMPEG_LOGLEVEL ?? '-8', // AV_LOG_QUIET
    // read by FFmpeg at each open: this camera's RTSP transport, and a socket timeout (µs) so that a read cannot block for long
    OPENCV_FFMPEG_CAPTURE_OPTIONS: `rtsp_transport;${c.capture.rtspTransport}|timeout;${Math.round(c.capture.openTimeoutMs * 1000)}`,
  };
}

/** initialSettings are a camera's settings at start: --preset, else the saved ones, else the defaults; then the flags' patch. */
async function initialSettings(config: Config, presets: PresetStore, dir: string, name: string, log: Logger): Promise<Settings> {
  let base = await loadSettingsFile(join(dir, SETTINGS_FILE));
  if (config.preset) {
    try {
      // the preset's recipe over the camera's own zones, transform and output
      base = { ...(base ?? DEFAULT_SETTINGS), ...recipeOf(await presets.load(config.preset)) };
    } catch (e) {
      if (!(e instanceof SegcamError && e.code === ERROR_CODES.NOT_FOUND)) throw e;
      if (config.cameras.length === 1) throw new ConfigError(`--preset: camera ${name} has no preset named "${config.preset}" (in ${presets.dir}).`);
      log.warn(`--preset: camera ${name} has no preset named "${config.preset}"; it keeps its saved settings`);
    }
  }
  const settings = base ?? DEFAULT_SETTINGS;
  if (!config.settingsPatch) return settings;
  const patched = applySettingsPatch(settings, config.settingsPatch);
  if (!patched.ok) throw new ConfigError(`camera ${name}: the flags do not fit its settings: ${patched.error.message}.`);
  return patched.value;
}

/** startFront starts everything; it throws ConfigError, or SettingsFileError for a broken saved file (left alone). */
export async function startFront(config: Config, log: Logger, version?: string): Promise<Running> {
  // 1. tokens and the data folder
  const tokens = await resolveTokens(config.tokens, config.dataDir, (m) => log.warn(m));
  const heir = config.cameras.find((c) => c.name === DEFAULT_CAMERA) ?? config.cameras[0]!;
  await migrateDataDir(config.dataDir, heir.name, log);

  // 2. cameras: settings, presets, rules, a supervised process each
  const cameras: Camera[] = [];
  const rules = new Map<Camera, Awaited<ReturnType<typeof loadRules>>>();
  for (const c of config.cameras) {
    const dir = cameraDir(config.dataDir, c.name);
    await removeStaleTemps(dir);
    const presets = new PresetStore(dir);
    await presets.open();
    const store = new SettingsStore(await initialSettings(config, presets, dir, c.name, log), dir, log);
    const camera = new Camera(c, store, presets, log, { timeoutMs: config.cameraTimeoutMs, env: cameraEnv(c) });
    rules.set(camera, await loadRules(c, dir, log));
    cameras.push(camera);
  }

  // 3. who watches what, and the control stage of each camera
  const sockets = new Map<Camera, Set<WsViewer>>(cameras.map((c) => [c, new Set()]));
  const viewers = (c: Camera, kind: 'ws' | 'mjpeg'): number => c.hub.count(kind);
  const consumers = (): number => cameras.reduce((n, c) => n + c.hub.count('ws') + c.hub.count('mjpeg'), 0);
  const controls = new Map(
    cameras.map((c) => [
      c.name,
      new Control(
        c,
        log,
        (list) => {
          const bytes = pack({ type: 'presets', ...list });
          for (const v of sockets.get(c)!) v.sendPacked(bytes);
        },
        { dataDir: config.dataDir },
      ),
    ]),
  );

  // 4. outputs: rules, recordings, MQTT, webhooks
  const outputs = new Outputs(config.outputs, controls, log, version);
  for (const c of cameras) outputs.add(c, cameraDir(config.dataDir, c.name), rules.get(c)!);
  const auth = new Auth(tokens, log);
  const metrics = new Metrics(
    () => cameras,
    viewers,
    () => outputs,
    auth,
  );
  const startedAt = Date.now();
  const services: Services = { cameras, controls, outputs, metrics, log, maxViewers: config.maxViewers, startedAt, consumers, viewers };

  // 5. HTTP and WebSocket
  const app = createApp(services, { auth, allowOrigins: config.allowOrigins, allowHosts: config.allowHosts, listenHost: config.host });
  const server = createServer({ requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: 10_000, connectionsCheckingInterval: 1000 }, app);
  const ws = attachWebSocket(server, {
    auth,
    log,
    cameras,
    allowOrigins: config.allowOrigins,
    allowHosts: config.allowHosts,
    listenHost: config.host,
    maxViewers: config.maxViewers,
    consumers,
    context: (c) => ({
      camera: c.name,
      cameras: () => cameras.map((x) => x.name),
      control: controls.get(c.name)!,
      log,
      maxBufferedBytes: config.maxBufferedBytes,
      status: () => c.status,
      viewers: () => c.hub.count('ws') + c.hub.count('mjpeg'),
      revision: () => c.store.revision,
      onViewChange: () => c.hub.updateDemand(),
      outputs: () => outputs.cameras.get(c.name)!.now(),
    }),
    onViewer: (c, v) => {
      sockets.get(c)!.add(v);
      v.hello();
      for (const other of sockets.get(c)!) if (other !== v) other.sendStatus(); // the viewer count changed
    },
    onGone: (c, v) => {
      sockets.get(c)!.delete(v);
      for (const other of sockets.get(c)!) other.sendStatus();
    },
  });

  // a change or a status reaches every viewer of its camera
  for (const c of cameras) {
    c.store.on('change', (change) => {
      const bytes = pack({ type: 'settings', settings: change.settings, revision: change.revision, by: change.by, ...(change.id !== undefined ? { id: change.id } : {}) });
      for (const v of sockets.get(c)!) v.sendPacked(bytes);
    });
    c.on('status', () => {
      for (const v of sockets.get(c)!) v.sendStatus();
    });
    c.on('frame', (f) => metrics.observe(c.name, f));
  }
  outputs.onRulesChanged((c) => {
    for (const v of sockets.get(c)!) v.sendStatus();
  });
  const statusTimer = setInterval(() => {
    for (const set of sockets.values()) for (const v of set) v.sendStatus();
  }, STATUS_EVERY_MS);
  statusTimer.unref();

  for (const c of cameras) c.start();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (e: unknown) => {
    await Promise.all(cameras.map((c) => c.stop()));
    throw e;
  });
  const port = (server.address() as AddressInfo).port;
  outputs.start();

  return {
    server,
    port,
    tokens,
    cameras,
    async stop() {
      clearInterval(statusTimer);
      ws.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await outputs.close();
      await Promise.all(cameras.map((c) => c.stop()));
      metrics.close();
    },
  };
}
