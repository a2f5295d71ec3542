/**
 * The HTTP API for scripts and other tools. Every camera has its routes under `/cam/NAME/`
 * (settings, status, source, controls, presets, snapshot, MJPEG, readiness); the first
 * camera's are also at the top level (`/api/settings`, `/stream.mjpg`, ...), as they were
 * before there were several. The server's own: health, readiness of all cameras, the camera
 * list, metrics, the OpenAPI description. Bodies are validated with the shared schemas and
 * changes go through the same control stage as the WebSocket, so a PATCH reaches every viewer.
 */
import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { ERROR_CODES, SegcamError, presetNameSchema, settingsPatchSchema, validatePlain, type CamerasResponse } from '../../shared/protocol.js';
import { VIEWS, type View } from '../../shared/settings.js';
import { CONTROLS } from '../capture/controls.js';
import type { Control } from '../control/control.js';
import type { Camera } from '../front/camera.js';
import type { Logger } from '../log.js';
import type { Delivery, PublishedFrame } from '../stream/hub.js';
import { MjpegClient } from '../stream/mjpeg.js';
import type { Metrics } from './metrics.js';
import { OPENAPI } from './openapi.js';

/** Services are the parts of the server the HTTP side talks to. */
export interface Services {
  cameras: Camera[];
  controls: Map<string, Control>;
  metrics: Metrics;
  log: Logger;
  maxViewers: number;
  startedAt: number;
  /** consumers of every camera (WebSocket and MJPEG) */
  consumers: () => number;
  /** a camera's viewers of one kind */
  viewers: (camera: Camera, kind: 'ws' | 'mjpeg') => number;
}

declare module 'express-serve-static-core' {
  interface Request {
    camera?: Camera;
  }
}

/** SNAPSHOT_FRESH_MS: a kept frame this young, made with the current settings, is served as it is. */
const SNAPSHOT_FRESH_MS = 1000;
const SNAPSHOT_WAIT_MS = 4000;

const viewQuery = z.enum(VIEWS).default('masked');
const fpsQuery = z.coerce.number().min(0).max(240).default(0);
const sourceBody = z.strictObject({ source: z.string().min(1).max(2048) });
const renameBody = z.strictObject({ to: presetNameSchema });
const controlsBody = z.strictObject(Object.fromEntries(Object.keys(CONTROLS).map((k) => [k, z.number().finite().optional()])));

const json = express.json({ limit: '16kb', strict: true });
const caller = (req: Request) => ({ id: 0, role: req.role ?? ('view' as const) });
const body = <T>(schema: z.ZodType<T>, req: Request, what: string): T => {
  const checked = validatePlain(schema, req.body ?? {}, what);
  if (!checked.ok) throw checked.error;
  return checked.value;
};
const query = <T>(schema: z.ZodType<T>, value: unknown, what: string): T => {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new SegcamError(ERROR_CODES.INVALID, `${what} ${parsed.error.issues[0]?.code === 'invalid_value' ? `must be one of ${VIEWS.join(', ')}` : 'is invalid'}`);
  return parsed.data;
};

/** only answers every other method of a route with 405 and the methods it has. */
function only(...methods: string[]): RequestHandler {
  const allow = methods.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])).join(', ');
  return (req, res) => {
    res.setHeader('Allow', allow);
    res.status(405).json({ code: ERROR_CODES.METHOD_NOT_ALLOWED, message: `${req.method} is not allowed here; use ${methods.join(' or ')}` });
  };
}

function readiness(c: Camera): { ready: boolean; state: string; reason: string; error?: string } {
  const s = c.status;
  return { ready: s.state === 'live', state: s.state, reason: s.reason, ...(s.error && s.state !== 'live' ? { error: s.error } : {}) };
}

/** serverRouter holds the routes that are the server's rather than one camera's. */
export function serverRouter(s: Services): Router {
  const r = Router();
  r.route('/healthz')
    .get((_req, res) => void res.json({ ok: true, uptime: (Date.now() - s.startedAt) / 1000 }))
    .all(only('GET'));
  r.route('/readyz')
    .get((_req, res) => {
      const cameras = Object.fromEntries(s.cameras.map((c) => [c.name, readiness(c)]));
      const ready = Object.values(cameras).every((c) => c.ready);
      res.status(ready ? 200 : 503).json({ ready, cameras });
    })
    .all(only('GET'));
  r.route('/api/cameras')
    .get((_req, res) => {
      const out: CamerasResponse = { cameras: s.cameras.map((c) => c.summary(s.viewers(c, 'ws') + s.viewers(c, 'mjpeg'))) };
      res.json(out);
    })
    .all(only('GET'));
  r.route('/api/openapi.json')
    .get((_req, res) => void res.json(OPENAPI))
    .all(only('GET'));
  r.route('/metrics')
    .get(async (_req, res) => {
      res.set('Content-Type', s.metrics.contentType);
      res.end(await s.metrics.render());
    })
    .all(only('GET'));
  return r;
}

/** cameraRouter holds one camera's routes; `req.camera` says which camera. */
export function cameraRouter(s: Services): Router {
  const r = Router();
  const cam = (req: Request): Camera => req.camera!;
  const control = (req: Request): Control => s.controls.get(cam(req).name)!;
  const presetName = (req: Request): string => {
    const parsed = presetNameSchema.safeParse(req.params.name);
    if (!parsed.success) throw new SegcamError(ERROR_CODES.INVALID, `preset name ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  };
  const settingsOf = (req: Request) => ({ camera: cam(req).name, settings: cam(req).store.current, revision: cam(req).store.revision });

  r.route('/readyz')
    .get((req, res) => {
      const ready = readiness(cam(req));
      res.status(ready.ready ? 200 : 503).json(ready);
    })
    .all(only('GET'));

  r.route('/api/settings')
    .get((req, res) => void res.json(settingsOf(req)))
    .patch(json, (req, res) => {
      control(req).set(body(settingsPatchSchema, req, 'settings'), caller(req));
      res.json(settingsOf(req));
    })
    .all(only('GET', 'PATCH'));

  r.route('/api/status')
    .get((req, res) => void res.json(statusReport(s, cam(req))))
    .all(only('GET'));

  r.route('/api/source')
    .get((req, res) => void res.json(cam(req).status))
    .post(json, async (req, res) => {
      const { source } = body(sourceBody, req, 'the request body');
      res.json(await control(req).switchSource(source, caller(req)));
    })
    .all(only('GET', 'POST'));

  r.route('/api/controls')
    .get((req, res) => void res.json({ requested: cam(req).config.capture.controls, report: cam(req).status.controls ?? null }))
    .patch(json, async (req, res) => {
      const patch = body(controlsBody, req, 'controls');
      const next = { ...cam(req).config.capture.controls, ...patch };
      res.json({ requested: next, report: await control(req).setControls(next, caller(req)) });
    })
    .all(only('GET', 'PATCH'));

  r.route('/api/presets')
    .get(async (req, res) => void res.json(await control(req).listPresets()))
    .all(only('GET'));
  r.route('/api/presets/:name')
    .get(async (req, res) => void res.json(await control(req).exportPreset(presetName(req))))
    .put(json, async (req, res) => {
      // import: the body is a whole settings object, as exported
      await control(req).importPreset(presetName(req), body(z.record(z.string(), z.unknown()), req, 'preset'), caller(req));
      res.status(201).json(await control(req).listPresets());
    })
    .patch(json, async (req, res) => {
      const { to } = body(renameBody, req, 'rename');
      await control(req).renamePreset(presetName(req), to, caller(req));
      res.json(await control(req).listPresets());
    })
    .delete(async (req, res) => {
      await control(req).deletePreset(presetName(req), caller(req));
      res.json(await control(req).listPresets());
    })
    .all(only('GET', 'PUT', 'PATCH', 'DELETE'));
  r.route('/api/presets/:name/save')
    .post(json, async (req, res) => {
      await control(req).savePreset(presetName(req), caller(req));
      res.status(201).json(await control(req).listPresets());
    })
    .all(only('POST'));
  r.route('/api/presets/:name/load')
    .post(json, async (req, res) => {
      const settings = await control(req).loadPreset(presetName(req), caller(req));
      res.json({ camera: cam(req).name, settings, revision: cam(req).store.revision });
    })
    .all(only('POST'));

  const snapshot = async (req: Request, res: Response): Promise<void> => {
    const view = query(viewQuery, req.query.view, 'view');
    const c = cam(req);
    const frame = await currentFrame(c, view);
    if (!frame || frame.placeholder) {
      const st = c.status;
      throw new SegcamError(ERROR_CODES.NO_FRAME, `no picture: camera ${c.name} is ${st.state}${st.error ? ` (${st.error})` : ''}`);
    }
    res.set({ 'Content-Type': 'image/jpeg', 'Cache-Control': 'no-store', 'X-Timestamp': (frame.ts / 1000).toFixed(3), 'X-Settings-Revision': String(frame.rev), 'Cross-Origin-Resource-Policy': 'cross-origin' });
    res.end(frame.jpeg);
  };
  const stream = (req: Request, res: Response): void => {
    const view = query(viewQuery, req.query.view, 'view');
    const fps = query(fpsQuery, req.query.fps, 'fps');
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin'); // embeddable in a page elsewhere, with the view token
    if (req.method === 'HEAD') {
      res.status(200).type(`multipart/x-mixed-replace; boundary=segcamframe`).end();
      return;
    }
    if (s.consumers() >= s.maxViewers) {
      res.setHeader('Retry-After', '5');
      throw new SegcamError(ERROR_CODES.TOO_MANY_VIEWERS, `too many viewers (the most is ${s.maxViewers}); try again later`);
    }
    const client = new MjpegClient(res, view, fps);
    const hub = cam(req).hub;
    hub.add(client);
    res.on('close', () => hub.remove(client));
  };
  // mjpg-streamer's URLs: /?action=stream and /?action=snapshot (served directly, ?token= included)
  r.get('/', (req, res, next) => {
    if (req.query.action === 'stream') return stream(req, res);
    if (req.query.action === 'snapshot') return snapshot(req, res);
    next();
  });
  for (const path of ['/snapshot.jpg', '/snapshot']) r.route(path).get(snapshot).all(only('GET'));
  for (const path of ['/stream.mjpg', '/stream']) r.route(path).get(stream).all(only('GET'));
  return r;
}

/**
 * currentFrame returns a frame of a view made with the camera's current settings: the kept
 * newest one if it is fresh and of the current revision, else the next one published (the
 * camera is asked for one if nobody watches that view), waiting at most SNAPSHOT_WAIT_MS.
 */
function currentFrame(c: Camera, view: View): Promise<PublishedFrame | undefined> {
  const rev = c.store.revision;
  const kept = c.hub.newestFrame(view);
  if (kept && !kept.placeholder && kept.rev >= rev && Date.now() - kept.ts < SNAPSHOT_FRESH_MS) return Promise.resolve(kept);
  return new Promise((resolve) => {
    let done = false;
    const once = {
      kind: 'snapshot' as const,
      watching: view,
      deliver: (f: PublishedFrame): Delivery => {
        if (f.placeholder || f.rev < rev) return 'passed'; // no picture yet, or made before the change: wait for the next
        finish(f);
        return 'sent';
      },
    };
    const timer = setTimeout(() => finish(c.hub.newestFrame(view)), SNAPSHOT_WAIT_MS);
    function finish(f: PublishedFrame | undefined): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      c.hub.remove(once);
      resolve(f);
    }
    c.hub.add(once);
  });
}

/** statusReport is the body of GET /cam/NAME/api/status. */
export function statusReport(s: Services, c: Camera) {
  const k = c.counters;
  return {
    camera: c.name,
    source: c.status,
    pid: c.pid,
    restarts: c.restarts,
    uptime: Math.round((Date.now() - s.startedAt) / 1000),
    analyse: c.config.analyse,
    viewers: { ws: s.viewers(c, 'ws'), mjpeg: s.viewers(c, 'mjpeg') },
    watchedViews: c.hub.watchedViews(),
    frames: {
      captured: k.captured,
      processed: k.processed,
      encodes: k.encodes,
      sent: c.hub.sent,
      dropped: { capture: k.dropped, pipe: k.droppedAtPipe, viewers: c.hub.dropped },
    },
    fps: s.metrics.rates(c.name),
    reconnects: k.reconnects,
    lastFrameMs: c.lastTimings,
    /** the newest analysis, with its frame's capture time (`ts`) and age */
    analysis: c.analysis ? { ...c.analysis, ageMs: Math.max(0, Date.now() - c.analysis.ts) } : null,
    revision: c.store.revision,
    /** Mats alive in OpenCV's allocator (flat over time when every per-frame Mat is released) */
    liveMats: k.liveMats,
  };
}

/** cameraByName resolves `/cam/:camera` to a camera, or 404. */
export function cameraByName(s: Services): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const name = String(req.params.camera ?? '');
    const c = s.cameras.find((x) => x.name === name);
    if (!c) throw new SegcamError(ERROR_CODES.NOT_FOUND, `no camera named "${name.slice(0, 40)}"; GET /api/cameras lists them`);
    req.camera = c;
    next();
  };
}
