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
import type { EventsReport, ModelsReport, RecordingsReport } from '../../shared/outputs.js';
import { checkRules, RULE_NAME } from '../../shared/rules.js';
import { ERROR_CODES, SegcamError, presetNameSchema, settingsPatchSchema, validatePlain, type CamerasResponse } from '../../shared/protocol.js';
import { VIEWS } from '../../shared/settings.js';
import { CONTROLS } from '../capture/controls.js';
import { requireControl, type Control } from '../control/control.js';
import type { Camera } from '../front/camera.js';
import type { Outputs } from '../front/outputs.js';
import type { Logger } from '../log.js';
import { currentFrame } from '../stream/current.js';
import { listModels } from '../segment/methods/files.js';
import { MjpegClient } from '../stream/mjpeg.js';
import type { Metrics } from './metrics.js';
import { OPENAPI } from './openapi.js';

/** Services are the parts of the server the HTTP side talks to. */
export interface Services {
  cameras: Camera[];
  controls: Map<string, Control>;
  outputs: Outputs;
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

const viewQuery = z.enum(VIEWS).default('masked');
const fpsQuery = z.coerce.number().min(0).max(240).default(0);
const sourceBody = z.strictObject({ source: z.string().min(1).max(2048) });
const renameBody = z.strictObject({ to: presetNameSchema });
const rulesBody = z.strictObject({ rules: z.unknown() });
const switchBody = z.strictObject({ enabled: z.boolean() });
const startBody = z.strictObject({
  reason: z
    .string()
    .regex(/^[\w .:-]{1,64}$/, 'must be 1-64 letters, digits, space, _ . : or -')
    .optional(),
});
const eventsQuery = z.coerce.number().int().min(1).max(200).default(50);
const controlsBody = z.strictObject(Object.fromEntries(Object.keys(CONTROLS).map((k) => [k, z.number().finite().optional()])));

const json = express.json({ limit: '16kb', strict: true });
/** a camera's rules, at most MAX_RULES of them */
const jsonRules = express.json({ limit: '64kb', strict: true });
const caller = (req: Request) => ({ id: 0, role: req.role ?? ('view' as const) });
const body = <T>(schema: z.ZodType<T>, req: Request, what: string): T => {
  const checked = validatePlain(schema, req.body ?? {}, what);
  if (!checked.ok) throw checked.error;
  return checked.value;
};
const query = <T>(schema: z.ZodType<T>, value: unknown, what: string): T => {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new SegcamError(ERROR_CODES.INVALID, `${what} ${parsed.error.issues[0]?.code === 'invalid_value' ? `must be one of ${VIEWS.join(', ')}` : 'is invalid'}`);
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

  r.route('/api/models')
    .get((req, res) => {
      const dir = cam(req).config.modelsDir;
      const out: ModelsReport = { camera: cam(req).name, models: listModels(dir), ...(dir ? {} : { problem: 'no models folder is configured (--models-dir)' }) };
      res.json(out);
    })
    .all(only('GET'));

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

  const outputs = (req: Request) => s.outputs.cameras.get(cam(req).name)!;
  const ruleName = (req: Request): string => {
    const name = String(req.params.rule);
    if (!RULE_NAME.test(name)) throw new SegcamError(ERROR_CODES.INVALID, 'rule name must be 1-32 of a-z, 0-9, _ and -, starting with a letter or digit');
    return name;
  };
  r.route('/api/rules')
    .get((req, res) => void res.json(outputs(req).report()))
    .put(jsonRules, async (req, res) => {
      requireControl(caller(req), 'change the rules');
      const checked = checkRules(body(rulesBody, req, 'the request body').rules, 'rules');
      if (!checked.ok) throw checked.error;
      res.json(await outputs(req).setRules(checked.value));
    })
    .all(only('GET', 'PUT'));
  r.route('/api/rules/:rule')
    .get((req, res) => {
      const name = ruleName(req);
      const o = outputs(req);
      const rule = o.engine.rules().find((x) => x.name === name);
      if (!rule) throw new SegcamError(ERROR_CODES.NOT_FOUND, `camera ${cam(req).name} has no rule named "${name}"`);
      res.json({ rule, state: o.engine.state(name) });
    })
    .patch(json, async (req, res) => {
      requireControl(caller(req), 'switch a rule');
      const { enabled } = body(switchBody, req, 'the request body');
      res.json(await outputs(req).setEnabled(ruleName(req), enabled));
    })
    .all(only('GET', 'PATCH'));
  r.route('/api/events')
    .get((req, res) => {
      const limit = query(eventsQuery, req.query.limit ?? undefined, 'limit');
      const o = outputs(req);
      const out: EventsReport = { camera: cam(req).name, events: o.engine.events(limit).map((e) => ({ ...e, ...(e.analysis ? { picture: o.pictureUrl(e) } : {}) })) };
      res.json(out);
    })
    .all(only('GET'));
  r.route('/api/events/:rule/:time.jpg')
    .get(async (req, res) => {
      const jpeg = await outputs(req).picture(ruleName(req), Number(req.params.time));
      if (!jpeg) throw new SegcamError(ERROR_CODES.NOT_FOUND, 'no picture is kept of that change (only of the newest ones, while the server runs)');
      res.set({ 'Content-Type': 'image/jpeg', 'Cache-Control': 'private, max-age=3600', 'Cross-Origin-Resource-Policy': 'cross-origin' });
      res.end(jpeg);
    })
    .all(only('GET'));

  const recordingId = (req: Request): string => {
    const id = String(req.params.id);
    if (!outputs(req).recordings.pathOf(id)) throw new SegcamError(ERROR_CODES.INVALID, 'a recording id looks like 20261201-101500-000');
    return id;
  };
  const recording = async (req: Request) => {
    const r = await outputs(req).recordings.get(recordingId(req));
    if (!r) throw new SegcamError(ERROR_CODES.NOT_FOUND, `camera ${cam(req).name} has no recording ${req.params.id}`);
    return r;
  };
  r.route('/api/recordings')
    .get(async (req, res) => {
      const out: RecordingsReport = { camera: cam(req).name, recorder: outputs(req).recorder.status(), recordings: await outputs(req).recordings.list() };
      res.json(out);
    })
    .all(only('GET'));
  r.route('/api/recordings/start')
    .post(json, async (req, res) => {
      requireControl(caller(req), 'start a recording');
      const { reason } = body(startBody, req, 'the request body');
      res.status(201).json(await outputs(req).recorder.start(reason ?? 'manual'));
    })
    .all(only('POST'));
  r.route('/api/recordings/stop')
    .post(json, async (req, res) => {
      requireControl(caller(req), 'stop a recording');
      res.json({ stopped: await outputs(req).recorder.stop() });
    })
    .all(only('POST'));
  r.route('/api/recordings/:id')
    .get(async (req, res) => void res.json(await recording(req)))
    .delete(async (req, res) => {
      requireControl(caller(req), 'delete a recording');
      const id = recordingId(req);
      if (!(await outputs(req).recordings.delete(id))) throw new SegcamError(ERROR_CODES.NOT_FOUND, `camera ${cam(req).name} has no recording ${id}`);
      res.json({ deleted: id });
    })
    .all(only('GET', 'DELETE'));
  r.route('/api/recordings/:id/download')
    .get(async (req, res) => {
      await recording(req);
      const d = await outputs(req).recordings.download(recordingId(req));
      if (!d) throw new SegcamError(ERROR_CODES.NOT_FOUND, `camera ${cam(req).name} has no recording ${req.params.id}`);
      res.set({ 'Content-Type': 'application/x-tar', 'Content-Disposition': `attachment; filename="${d.filename}"` });
      d.stream.pipe(res);
      res.on('close', () => d.stream.destroy());
      d.stream.on('error', () => res.destroy());
    })
    .all(only('GET'));

  const snapshot = async (req: Request, res: Response): Promise<void> => {
    const view = query(viewQuery, req.query.view, 'view');
    const c = cam(req);
    const frame = await currentFrame(c.hub, view, c.store.revision);
    if (!frame || frame.placeholder) {
      const st = c.status;
      const why = c.segmentError ?? `camera ${c.name} is ${st.state}${st.error ? ` (${st.error})` : ''}`;
      throw new SegcamError(ERROR_CODES.NO_FRAME, `no picture: ${why}`);
    }
    res.set({
      'Content-Type': 'image/jpeg',
      'Cache-Control': 'no-store',
      'X-Timestamp': (frame.ts / 1000).toFixed(3),
      'X-Settings-Revision': String(frame.rev),
      'Cross-Origin-Resource-Policy': 'cross-origin',
    });
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

/** statusReport is the body of GET /cam/NAME/api/status. */
export function statusReport(s: Services, c: Camera) {
  const k = c.counters;
  const o = s.outputs.cameras.get(c.name);
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
    analysing: c.analysing,
    /** why the method fails now (a model file gone, say); null: it works */
    segmentError: c.segmentError,
    rules: o ? o.engine.states() : [],
    recorder: o ? o.recorder.status() : null,
    outputs: s.outputs.status(),
    /** publishing to a media server (null: not publishing, or not yet started) */
    publish: c.publishStats,
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
