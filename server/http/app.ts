/**
 * The HTTP side: security headers, authentication, the built viewer, the API, and JSON errors
 * without stack traces.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { ERROR_CODES, SegcamError, type Role } from '../../shared/protocol.js';
import { apiRouter, type Services } from './api.js';
import { COOKIE_NAME, authMessage } from './auth.js';

/** CLIENT_DIR is the built viewer (esbuild output), served as static files. */
export const CLIENT_DIR = fileURLToPath(new URL('../../client/', import.meta.url));

/** PUBLIC_PATHS need no token: health for supervisors, and the viewer's static assets. */
const PUBLIC_PATHS = new Set(['/healthz', '/app.js', '/app.js.map', '/style.css', '/favicon.svg']);

declare module 'express-serve-static-core' {
  interface Request {
    role?: Role;
  }
}

/** createApp builds the express application. */
export function createApp(services: Services): express.Express {
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
      crossOriginResourcePolicy: { policy: 'same-origin' },
      strictTransportSecurity: false, // segcam speaks plain HTTP; TLS belongs to the reverse proxy
    }),
  );

  app.use((req: Request, res: Response, next: NextFunction) => {
    if (PUBLIC_PATHS.has(req.path)) return next();
    const result = services.auth.check(req);
    if (!result.ok) {
      if (result.reason === 'throttled') res.setHeader('Retry-After', String(result.retryAfterS));
      const status = result.reason === 'throttled' ? 429 : 401;
      const code = result.reason === 'throttled' ? ERROR_CODES.RATE_LIMITED : ERROR_CODES.UNAUTHORIZED;
      if (wantsHtml(req)) return res.status(status).type('html').send(errorPage(authMessage(result)));
      return res.status(status).json({ code, message: authMessage(result) });
    }
    req.role = result.role;
    if (result.via === 'query' && result.token && req.method === 'GET' && wantsHtml(req)) {
      // keep the token in a cookie (so the page can reconnect) and out of the address bar
      res.cookie(COOKIE_NAME, result.token, { httpOnly: true, sameSite: 'strict', path: '/' });
      const url = new URL(req.originalUrl, 'http://x');
      url.searchParams.delete('token');
      return res.redirect(303, url.pathname + url.search);
    }
    next();
  });

  app.use(apiRouter(services));

  if (!existsSync(CLIENT_DIR)) services.log.warn(`viewer not built (${CLIENT_DIR} missing): run npm run build`);
  app.use(express.static(CLIENT_DIR, { index: 'index.html', dotfiles: 'deny', redirect: false, fallthrough: true }));

  app.use((req: Request, res: Response) => {
    res.status(404).json({ code: ERROR_CODES.NOT_FOUND, message: `no such endpoint: ${req.method} ${req.path}` });
  });
  // express needs the 4-argument signature to recognise an error handler
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { status?: number; type?: string; message?: string };
    if (err instanceof SegcamError) return res.status(httpStatus(err.code)).json({ code: err.code, message: err.message });
    if (e.type === 'entity.too.large') return res.status(413).json({ code: ERROR_CODES.BAD_MESSAGE, message: 'request body too large' });
    if (e.type === 'entity.parse.failed') return res.status(400).json({ code: ERROR_CODES.BAD_MESSAGE, message: `body is not valid JSON: ${e.message}` });
    if (e.status && e.status < 500) return res.status(e.status).json({ code: ERROR_CODES.BAD_MESSAGE, message: e.message ?? 'bad request' });
    services.log.error(`${req.method} ${req.path}: ${(err as Error).stack ?? String(err)}`);
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
    case ERROR_CODES.CONFLICT:
      return 409;
    case ERROR_CODES.RATE_LIMITED:
      return 429;
    case ERROR_CODES.NO_FRAME:
    case ERROR_CODES.SOURCE_FAILED:
      return 503;
    case ERROR_CODES.INTERNAL:
      return 500;
    default:
      return 400;
  }
}

function wantsHtml(req: Request): boolean {
  return req.path === '/' || req.path === '/index.html';
}

function errorPage(message: string): string {
  const esc = message.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>segcam: access denied</title><link rel="stylesheet" href="/style.css"></head><body class="denied"><main><h1>segcam: access denied</h1><p id="reason">${esc}</p><p>Ask whoever runs segcam for the link with the token, or restart it and copy the URL it prints.</p></main></body></html>`;
}
