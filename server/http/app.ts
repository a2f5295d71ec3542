/**
 * The HTTP side, in the order a request meets it: security headers; the Host check (DNS
 * rebinding); CORS for the origins allowed with --allow-origin; authentication (health and the
 * viewer's static files are public); the same-site rule for state-changing requests (CSRF);
 * then the server's routes, each camera's routes under /cam/NAME/ (and the first camera's at
 * the top level), the built viewer, and JSON errors without stack traces.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { ERROR_CODES, SegcamError, type Role } from '../../shared/protocol.js';
import { cameraByName, cameraRouter, serverRouter, type Services } from './api.js';
import { COOKIE_NAME, authMessage, type Auth, type AuthResult } from './auth.js';
import { STATE_CHANGING, hostAllowed, isJson, misdirected, originAllowed } from './host.js';

/** CLIENT_DIR is the built viewer (esbuild output), served as static files. */
export const CLIENT_DIR = fileURLToPath(new URL('../../client/', import.meta.url));

/** PUBLIC_PATHS need no token: health for supervisors, and the viewer's static assets. */
const PUBLIC_PATHS = new Set(['/healthz', '/app.js', '/app.js.map', '/style.css', '/favicon.svg']);
/** VIEWER_PAGE matches the pages that are the viewer (where a ?token= becomes a cookie). */
const VIEWER_PAGE = /^\/(?:cam\/[^/]+\/?)?(?:index\.html)?$/;

declare module 'express-serve-static-core' {
  interface Request {
    role?: Role;
  }
}

/** AppOptions are the HTTP side's own settings. */
export interface AppOptions {
  auth: Auth;
  allowOrigins: string[];
  allowHosts: string[];
  /** the address segcam listens on (a name given there is this server's own) */
  listenHost: string;
}

/** createApp builds the express application. */
export function createApp(s: Services, o: AppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'blob:', 'data:'],
          connectSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
        },
      },
      crossOriginEmbedderPolicy: false,
      crossOriginResourcePolicy: { policy: 'same-origin' }, // streams and snapshots say cross-origin themselves
      strictTransportSecurity: false, // segcam speaks plain HTTP; TLS belongs to the reverse proxy
    }),
  );

  app.use((req: Request, res: Response, next: NextFunction) => {
    if (!hostAllowed(req.headers.host, o.allowHosts, o.listenHost)) {
      res.setHeader('Connection', 'close');
      return res.status(421).json({ code: ERROR_CODES.MISDIRECTED, message: misdirected(req.headers.host ?? '') });
    }
    const origin = req.headers.origin;
    if (origin && o.allowOrigins.includes(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Expose-Headers', 'X-Timestamp, X-Settings-Revision');
      if (req.method === 'OPTIONS') {
        res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE');
        res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Segcam-Token');
        res.setHeader('Access-Control-Max-Age', '600');
        return res.status(204).end();
      }
    }
    next();
  });

  app.use((req: Request, res: Response, next: NextFunction) => {
    if (PUBLIC_PATHS.has(req.path)) return next();
    const answer = (result: AuthResult): void => {
      if (result.ok) {
        req.role = result.role;
        if (result.via === 'query' && result.token && req.method === 'GET' && VIEWER_PAGE.test(req.path) && req.query.action === undefined) {
          // keep the token in a cookie (so that the page can reconnect) and out of the address bar
          res.cookie(COOKIE_NAME, result.token, { httpOnly: true, sameSite: 'strict', path: '/' });
          const url = new URL(req.originalUrl, 'http://x');
          url.searchParams.delete('token');
          return res.redirect(303, url.pathname + url.search);
        }
        return next();
      }
      if (result.reason === 'throttled') res.setHeader('Retry-After', String(result.retryAfterS));
      const status = result.reason === 'throttled' ? 429 : 401;
      const code = result.reason === 'throttled' ? ERROR_CODES.RATE_LIMITED : ERROR_CODES.UNAUTHORIZED;
      if (VIEWER_PAGE.test(req.path) && req.method === 'GET' && req.query.action === undefined)
        return void res
          .status(status)
          .type('html')
          .send(errorPage(authMessage(result)));
      res.status(status).json({ code, message: authMessage(result) });
    };
    const result = o.auth.check(req);
    if (!result.ok && result.reason === 'wrong') return o.auth.delay(result, answer);
    answer(result);
  });

  app.use((req: Request, res: Response, next: NextFunction) => {
    if (!STATE_CHANGING.has(req.method)) return next();
    const origin = req.headers.origin;
    if (origin && !originAllowed(origin, req.headers.host, o.allowOrigins)) {
      return res
        .status(403)
        .json({ code: ERROR_CODES.FORBIDDEN, message: `requests from ${origin.slice(0, 100)} may not change anything here (allow that origin with --allow-origin)` });
    }
    if (!isJson(req.headers['content-type'])) {
      return res.status(415).json({
        code: ERROR_CODES.UNSUPPORTED_MEDIA_TYPE,
        message: 'send Content-Type: application/json: requests that change something must, so that a page on another site cannot make them',
      });
    }
    next();
  });

  app.use(serverRouter(s));
  const perCamera = cameraRouter(s);
  if (!existsSync(CLIENT_DIR)) s.log.warn(`viewer not built (${CLIENT_DIR} missing): run npm run build`);
  const viewerPage = (_req: Request, res: Response): void => res.sendFile('index.html', { root: CLIENT_DIR, headers: { 'Cache-Control': 'no-cache' } });
  app.use('/cam/:camera', cameraByName(s), perCamera);
  app.get('/cam/:camera', (req, res) => {
    const path = req.originalUrl.split('?')[0]!;
    if (path.endsWith('/')) return viewerPage(req, res);
    res.redirect(301, `${path}/${req.originalUrl.slice(path.length)}`); // the viewer's relative URLs need the slash
  });
  // the first camera's routes at the top level, as before there were several
  app.use((req: Request, _res: Response, next: NextFunction) => {
    req.camera = s.cameras[0];
    next();
  }, perCamera);
  app.use(express.static(CLIENT_DIR, { index: 'index.html', dotfiles: 'deny', redirect: false, fallthrough: true }));

  app.use((req: Request, res: Response) => {
    res.status(404).json({ code: ERROR_CODES.NOT_FOUND, message: `no such endpoint: ${req.method} ${req.path.slice(0, 200)}` });
  });
  // express needs the 4-argument signature to recognise an error handler
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { status?: number; type?: string; message?: string };
    if (err instanceof SegcamError) return res.status(httpStatus(err.code)).json({ code: err.code, message: err.message });
    if (e.type === 'entity.too.large') return res.status(413).json({ code: ERROR_CODES.BAD_MESSAGE, message: 'the request body is larger than 16 KiB' });
    if (e.type === 'entity.parse.failed') return res.status(400).json({ code: ERROR_CODES.BAD_MESSAGE, message: `the request body is not valid JSON (${e.message})` });
    if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported')
      return res.status(415).json({ code: ERROR_CODES.UNSUPPORTED_MEDIA_TYPE, message: e.message ?? 'unsupported body encoding' });
    if (e.status && e.status < 500) return res.status(e.status).json({ code: ERROR_CODES.BAD_MESSAGE, message: e.message ?? 'bad request' });
    s.log.error(`${req.method} ${req.path}: ${(err as Error).stack ?? String(err)}`);
    res.status(500).json({ code: ERROR_CODES.INTERNAL, message: 'internal error' });
  });
  return app;
}

/** httpStatus maps an error code to its HTTP status. */
export function httpStatus(code: SegcamError['code']): number {
  switch (code) {
    case ERROR_CODES.UNAUTHORIZED:
      return 401;
    case ERROR_CODES.FORBIDDEN:
      return 403;
    case ERROR_CODES.NOT_FOUND:
      return 404;
    case ERROR_CODES.METHOD_NOT_ALLOWED:
      return 405;
    case ERROR_CODES.CONFLICT:
    case ERROR_CODES.TOO_MANY:
      return 409;
    case ERROR_CODES.UNSUPPORTED_MEDIA_TYPE:
      return 415;
    case ERROR_CODES.MISDIRECTED:
      return 421;
    case ERROR_CODES.RATE_LIMITED:
    case ERROR_CODES.BUSY:
      return 429;
    case ERROR_CODES.NO_FRAME:
    case ERROR_CODES.SOURCE_FAILED:
    case ERROR_CODES.TOO_MANY_VIEWERS:
      return 503;
    case ERROR_CODES.INTERNAL:
      return 500;
    default:
      return 400;
  }
}

/** errorPage is the access-denied page, with a field to paste the token into. */
function errorPage(message: string): string {
  const esc = message.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>segcam: access denied</title><link rel="stylesheet" href="/style.css"></head><body class="denied"><main><h1>segcam: access denied</h1><p id="reason">${esc}</p><form method="get"><label for="token">Access token</label> <input id="token" name="token" autocomplete="off" required minlength="8" maxlength="128"> <button type="submit">Open</button></form><p>The token is in the URL segcam printed at start, and in its data folder (the file <code>token</code>).</p></main></body></html>`;
}
