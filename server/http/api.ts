/**
 * The HTTP API for scripts and other tools: settings, status, source switch, presets, snapshot,
 * MJPEG stream, health and metrics. It validates with the same shared schemas and applies changes
 * through the same control stage as the WebSocket, so a PATCH reaches every viewer.
 */
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { ERROR_CODES, SegcamError, presetNameSchema, settingsPatchSchema, settingsSchema, validatePlain } from '../../shared/protocol.js';
import { VIEWS, type View } from '../../shared/settings.js';
import type { Logger } from '../log.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { SettingsStore } from '../settings/store.js';
import type { Control } from '../stream/control.js';
import type { Delivery, Hub, PublishedFrame } from '../stream/hub.js';
import { MjpegClient } from '../stream/mjpeg.js';
import type { Auth } from './auth.js';
import type { Metrics } from './metrics.js';
import { OPENAPI } from './openapi.js';

/** Services are the parts of the server the HTTP side talks to. */
export interface Services {
  control: Control;
  hub: Hub;
  pipeline: Pipeline;
  store: SettingsStore;
  auth: Auth;
  metrics: Metrics;
  log: Logger;
  maxViewers: number;
  maxBufferedBytes: number;
  startedAt: number;
}

const SNAPSHOT_FRESH_MS = 1000;
const SNAPSHOT_WAIT_MS = 4000;

const viewQuery = z.enum(VIEWS).default('masked');
const fpsQuery = z.coerce.number().min(0).max(240).default(0);
const sourceBody = z.strictObject({ source: z.string().min(1).max(2048) });
const renameBody = z.strictObject({ to: presetNameSchema });

/** apiRouter returns the routes. */
export function apiRouter(s: Services): Router {
  const r = Router();
  const json = express.json({ limit: '16kb', strict: true });
  const caller = (req: Request) => ({ id: 0, role: req.role ?? 'view' as const });
  const body = <T>(schema: z.ZodType<T>, req: Request, what: string): T => {
    const checked = validatePlain(schema, req.body, what);
    if (!checked.ok) throw checked.error;
    return checked.value;
  };
  const query = <T>(schema: z.ZodType<T>, value: unknown, what: string): T => {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new SegcamError(ERROR_CODES.INVALID, `${what}: ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  };
  const presetName = (req: Request): string => query(presetNameSchema, req.params.name, 'preset name');

  r.get('/healthz', (_req, res) => {
    res.json({ ok: true, uptime: (Date.now() - s.startedAt) / 1000 });
  });
  r.get('/readyz', (_req, res) => {
    const status = s.pipeline.status;
    res.status(status.state === 'live' ? 200 : 503).json({ ready: status.state === 'live', state: status.state, ...(status.error ? { error: status.error } : {}) });
  });

  r.get('/api/settings', (_req, res) => {
    res.json({ settings: s.store.current, revision: s.store.revision });
  });
  r.patch('/api/settings', json, (req, res) => {
    const patch = body(settingsPatchSchema, req, 'settings');
    s.control.set(patch, caller(req));
    res.json({ settings: s.store.current, revision: s.store.revision });
  });

  r.get('/api/status', async (_req, res) => {
    res.json(await statusReport(s));
  });

  r.get('/api/source', (_req, res) => {
    res.json(s.pipeline.status);
  });
  r.post('/api/source', json, async (req, res) => {
    const { source } = body(sourceBody, req, 'source');
    res.json(await s.control.switchSource(source, caller(req)));
  });

  r.get('/api/presets', async (_req, res) => {
    res.json(await s.control.listPresets());
  });
  r.get('/api/presets/:name', async (req, res) => {
    res.json(await s.control.exportPreset(presetName(req)));
  });
  r.put('/api/presets/:name', json, async (req, res) => {
    // import: the body is a whole settings object, as exported
    const settings = body(settingsSchema, req, 'preset');
    await s.control.importPreset(presetName(req), settings, caller(req));
    res.status(201).json(await s.control.listPresets());
  });
  r.post('/api/presets/:name/save', async (req, res) => {
    await s.control.savePreset(presetName(req), caller(req));
    res.status(201).json(await s.control.listPresets());
  });
  r.post('/api/presets/:name/load', async (req, res) => {
    const settings = await s.control.loadPreset(presetName(req), caller(req));
    res.json({ settings, revision: s.store.revision });
  });
  r.patch('/api/presets/:name', json, async (req, res) => {
    const { to } = body(renameBody, req, 'rename');
    await s.control.renamePreset(presetName(req), to, caller(req));
    res.json(await s.control.listPresets());
  });
  r.delete('/api/presets/:name', async (req, res) => {
    await s.control.deletePreset(presetName(req), caller(req));
    res.json(await s.control.listPresets());
  });

  r.get('/api/openapi.json', (_req, res) => {
    res.json(OPENAPI);
  });

  const snapshot = async (req: Request, res: Response): Promise<void> => {
    const view = query(viewQuery, req.query.view, 'view');
    const frame = await newestFrame(s, view);
    if (!frame || frame.placeholder) {
      const st = s.pipeline.status;
      throw new SegcamError(ERROR_CODES.NO_FRAME, `no picture: source is ${st.state}${st.error ? ` (${st.error})` : ''}`);
    }
    res.set({ 'Content-Type': 'image/jpeg', 'Cache-Control': 'no-store', 'X-Timestamp': (frame.ts / 1000).toFixed(3) });
    res.end(frame.jpeg);
  };
  const stream = (req: Request, res: Response): void => {
    const view = query(viewQuery, req.query.view, 'view');
    const fps = query(fpsQuery, req.query.fps, 'fps');
    if (s.hub.size >= s.maxViewers) throw new SegcamError(ERROR_CODES.TOO_MANY_VIEWERS, `too many viewers (the most is ${s.maxViewers})`);
    const client = new MjpegClient(res, view, fps, s.maxBufferedBytes);
    s.hub.add(client);
    res.on('close', () => s.hub.remove(client));
  };
  // mjpg-streamer's URLs: /?action=stream and /?action=snapshot
  r.get('/', (req, res, next) => {
    if (req.query.action === 'stream') return stream(req, res);
    if (req.query.action === 'snapshot') return snapshot(req, res);
    next();
  });
  for (const path of ['/snapshot.jpg', '/snapshot']) r.get(path, snapshot);
  for (const path of ['/stream.mjpg', '/stream']) r.get(path, stream);

  r.get('/metrics', async (_req, res) => {
    res.set('Content-Type', s.metrics.contentType);
    res.end(await s.metrics.render());
  });
  return r;
}

/** newestFrame returns a fresh frame of a view, asking the pipeline for one if nobody watches it. */
async function newestFrame(s: Services, view: View): Promise<PublishedFrame | undefined> {
  const kept = s.hub.newestFrame(view);
  if (kept && Date.now() - kept.ts < SNAPSHOT_FRESH_MS) return kept;
  return new Promise((resolve) => {
    const once = {
      kind: 'snapshot' as const,
      watching: view,
      deliver: (f: PublishedFrame): Delivery => {
        finish(f);
        return 'sent';
      },
    };
    const timer = setTimeout(() => finish(s.hub.newestFrame(view)), SNAPSHOT_WAIT_MS);
    let done = false;
    function finish(f: PublishedFrame | undefined): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.hub.remove(once);
      resolve(f);
    }
    s.hub.add(once);
  });
}

/** statusReport is the body of GET /api/status. */
export async function statusReport(s: Services) {
  const p = s.pipeline.stats;
  return {
    source: s.pipeline.status,
    uptime: Math.round((Date.now() - s.startedAt) / 1000),
    viewers: { ws: s.hub.count('ws'), mjpeg: s.hub.count('mjpeg') },
    watchedViews: s.hub.watchedViews(),
    frames: {
      captured: p.captured,
      processed: p.processed,
      encodes: p.encodes,
      sent: s.hub.sent,
      dropped: { capture: p.dropped, viewers: s.hub.dropped },
    },
    fps: s.metrics.rates(),
    reconnects: p.reconnects,
    lastFrameMs: p.lastTimings,
    analysis: s.metrics.lastAnalysis,
    revision: s.store.revision,
    /** Mats alive in OpenCV's allocator (flat over time when every per-frame Mat is released) */
    liveMats: p.liveMats,
  };
}
