/**
 * A short OpenAPI description of the HTTP API, served at /api/openapi.json.
 */
const error = { $ref: '#/components/schemas/Error' };
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const ok = (description: string, schema: object = { type: 'object' }) => ({ description, ...json(schema) });

/** OPENAPI is the document. */
export const OPENAPI = {
  openapi: '3.0.3',
  info: { title: 'segcam', version: '1', description: 'Live camera segmentation. Every endpoint but /healthz needs the token: `Authorization: Bearer TOKEN`, `?token=TOKEN` or the cookie.' },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, query: { type: 'apiKey', in: 'query', name: 'token' } },
    schemas: {
      Error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } }, required: ['code', 'message'] },
      Settings: { type: 'object', description: 'See shared/settings.ts: space, ranges, quality, blur, open, close, minArea, blobs, motion.' },
    },
  },
  security: [{ bearer: [] }, { query: [] }],
  paths: {
    '/healthz': { get: { summary: 'Process is up', security: [], responses: { 200: ok('up') } } },
    '/readyz': { get: { summary: 'Source is live', responses: { 200: ok('live'), 503: ok('not live') } } },
    '/api/settings': {
      get: { summary: 'Current settings and revision', responses: { 200: ok('settings') } },
      patch: {
        summary: 'Partial update (same validation and broadcast as a WebSocket `set`)',
        requestBody: json({ $ref: '#/components/schemas/Settings' }),
        responses: { 200: ok('new settings'), 400: ok('invalid', error), 403: ok('view-only token', error) },
      },
    },
    '/api/status': { get: { summary: 'Source state, viewers, per-stage fps and drops, uptime, analysis', responses: { 200: ok('status') } } },
    '/api/source': {
      get: { summary: 'Source status', responses: { 200: ok('status') } },
      post: { summary: 'Switch source; the old one keeps running if the new one fails', requestBody: json({ type: 'object', properties: { source: { type: 'string' } } }), responses: { 200: ok('switched'), 503: ok('cannot open', error) } },
    },
    '/api/presets': { get: { summary: 'List presets', responses: { 200: ok('names') } } },
    '/api/presets/{name}': {
      get: { summary: 'Export a preset (settings JSON)', responses: { 200: ok('settings'), 404: ok('no such preset', error) } },
      put: { summary: 'Import a preset', requestBody: json({ $ref: '#/components/schemas/Settings' }), responses: { 201: ok('saved') } },
      patch: { summary: 'Rename', requestBody: json({ type: 'object', properties: { to: { type: 'string' } } }), responses: { 200: ok('renamed') } },
      delete: { summary: 'Delete', responses: { 200: ok('deleted') } },
    },
    '/api/presets/{name}/save': { post: { summary: 'Save current settings under a name', responses: { 201: ok('saved') } } },
    '/api/presets/{name}/load': { post: { summary: 'Make a preset the current settings, for everyone', responses: { 200: ok('loaded') } } },
    '/snapshot.jpg': { get: { summary: 'Newest frame (?view=masked|mask|original|side)', responses: { 200: { description: 'JPEG', content: { 'image/jpeg': {} } }, 503: ok('no picture', error) } } },
    '/stream.mjpg': { get: { summary: 'MJPEG stream (?view=, ?fps= cap)', responses: { 200: { description: 'multipart/x-mixed-replace' } } } },
    '/metrics': { get: { summary: 'Prometheus metrics', responses: { 200: { description: 'text format' } } } },
  },
};
