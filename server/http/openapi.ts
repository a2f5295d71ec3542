/**
 * A short OpenAPI description of the HTTP API, served at /api/openapi.json. Every camera's
 * endpoints are under /cam/{camera}/; the first camera's are also at the top level.
 */
const error = { $ref: '#/components/schemas/Error' };
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const ok = (description: string, schema: object = { type: 'object' }) => ({ description, ...json(schema) });
const camera = { name: 'camera', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,31}$' } };
const preset = { name: 'name', in: 'path', required: true, schema: { type: 'string' } };
const rule = { name: 'rule', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,31}$' } };
const recording = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^\\d{8}-\\d{6}-\\d{3}(-\\d{1,4})?$' } };

/** cameraPaths are one camera's endpoints, under a prefix. */
function cameraPaths(prefix: string, params: object[]): Record<string, object> {
  const p = (path: string, ops: Record<string, object>, extra: object[] = []) => [
    `${prefix}${path}`,
    Object.fromEntries(Object.entries(ops).map(([m, op]) => [m, { parameters: [...params, ...extra], ...op }])),
  ];
  return Object.fromEntries([
    ...(prefix ? [p('/readyz', { get: { summary: "This camera's source is live", responses: { 200: ok('live'), 503: ok('not live') } } })] : []),
    p('/api/settings', {
      get: { summary: 'Current settings and revision', responses: { 200: ok('settings') } },
      patch: {
        summary: 'Partial update (same validation and broadcast as a WebSocket `set`); a change that changes nothing keeps the revision',
        requestBody: json({ $ref: '#/components/schemas/Settings' }),
        responses: { 200: ok('new settings'), 400: ok('invalid', error), 403: ok('view-only token', error), 415: ok('not JSON', error) },
      },
    }),
    p('/api/status', {
      get: { summary: 'Source state with its reason, pid, restarts, viewers, per-stage fps, drops, the newest analysis with its capture time', responses: { 200: ok('status') } },
    }),
    p('/api/source', {
      get: { summary: 'Source status', responses: { 200: ok('status') } },
      post: {
        summary: 'Switch source; the old one keeps running if the new one fails',
        requestBody: json({ type: 'object', properties: { source: { type: 'string' } } }),
        responses: { 200: ok('switched'), 503: ok('cannot open', error) },
      },
    }),
    p('/api/controls', {
      get: { summary: 'Camera controls asked for, and what the device did with them', responses: { 200: ok('controls') } },
      patch: { summary: 'Change camera controls (exposure, white balance, gain, focus, ...)', requestBody: json({ type: 'object' }), responses: { 200: ok('report') } },
    }),
    p('/api/models', { get: { summary: 'The .onnx files of the models folder that the model method may name', responses: { 200: ok('models') } } }),
    p('/api/presets', { get: { summary: 'List presets', responses: { 200: ok('names') } } }),
    p(
      '/api/presets/{name}',
      {
        get: { summary: 'Export a preset (settings JSON)', responses: { 200: ok('settings'), 404: ok('no such preset', error) } },
        put: { summary: 'Import a preset', requestBody: json({ $ref: '#/components/schemas/Settings' }), responses: { 201: ok('saved') } },
        patch: {
          summary: 'Rename (never over an existing preset)',
          requestBody: json({ type: 'object', properties: { to: { type: 'string' } } }),
          responses: { 200: ok('renamed'), 409: ok('taken', error) },
        },
        delete: { summary: 'Delete', responses: { 200: ok('deleted') } },
      },
      [preset],
    ),
    p('/api/presets/{name}/save', { post: { summary: 'Save current settings under a name', responses: { 201: ok('saved') } } }, [preset]),
    p('/api/presets/{name}/load', { post: { summary: 'Make a preset the current settings, for everyone', responses: { 200: ok('loaded') } } }, [preset]),
    p('/api/rules', {
      get: { summary: "The camera's rules, their states (on/off, since, value, pending hold), and whether it analyses unwatched frames", responses: { 200: ok('rules') } },
      put: {
        summary: 'Replace the rules ({rules: [...]} or {rules: {NAME: {...}}}); unchanged rules keep their state; saved',
        requestBody: json({ type: 'object', properties: { rules: {} } }),
        responses: { 200: ok('rules'), 400: ok('invalid', error), 403: ok('view-only token', error) },
      },
    }),
    p(
      '/api/rules/{rule}',
      {
        get: { summary: 'One rule and its state', responses: { 200: ok('rule'), 404: ok('no such rule', error) } },
        patch: {
          summary: 'Switch a rule on or off ({enabled})',
          requestBody: json({ type: 'object', properties: { enabled: { type: 'boolean' } } }),
          responses: { 200: ok('rules') },
        },
      },
      [rule],
    ),
    p('/api/events', { get: { summary: "The newest rule changes, newest first (?limit=1..200), each with its analysis and its picture's URL", responses: { 200: ok('events') } } }),
    p(
      '/api/events/{rule}/{time}.jpg',
      {
        get: {
          summary: 'The picture of a change (kept for the newest ones while the server runs)',
          responses: { 200: { description: 'JPEG', content: { 'image/jpeg': {} } }, 404: ok('not kept', error) },
        },
      },
      [rule, { name: 'time', in: 'path', required: true, schema: { type: 'integer' } }],
    ),
    p('/api/recordings', { get: { summary: "The recorder's state and every recording, newest first", responses: { 200: ok('recordings') } } }),
    p('/api/recordings/start', { post: { summary: 'Start recording by hand ({reason?}); it goes on until stopped', responses: { 201: ok('recording') } } }),
    p('/api/recordings/stop', { post: { summary: 'Stop the recording, however it started', responses: { 200: ok('stopped') } } }),
    p(
      '/api/recordings/{id}',
      {
        get: { summary: 'One recording', responses: { 200: ok('recording'), 404: ok('no such recording', error) } },
        delete: { summary: 'Delete a recording (not while it is written)', responses: { 200: ok('deleted'), 409: ok('being written', error) } },
      },
      [recording],
    ),
    p(
      '/api/recordings/{id}/download',
      {
        get: {
          summary: 'The recording as a tar of its JPEGs, metadata.jsonl and recording.json',
          responses: { 200: { description: 'tar', content: { 'application/x-tar': {} } } },
        },
      },
      [recording],
    ),
    p('/snapshot.jpg', {
      get: {
        summary: 'A frame made with the current settings (?view=masked|mask|original|side)',
        responses: { 200: { description: 'JPEG', content: { 'image/jpeg': {} } }, 503: ok('no picture', error) },
      },
    }),
    p('/stream.mjpg', {
      get: { summary: 'MJPEG stream (?view=, ?fps= cap)', responses: { 200: { description: 'multipart/x-mixed-replace' }, 503: ok('too many viewers', error) } },
    }),
  ]);
}

/** OPENAPI is the document. */
export const OPENAPI = {
  openapi: '3.0.3',
  info: {
    title: 'segcam',
    version: '2',
    description:
      'Live camera segmentation. Every endpoint but /healthz needs the token: `Authorization: Bearer TOKEN`, `?token=TOKEN` or the cookie. Requests that change something need `Content-Type: application/json`.',
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, query: { type: 'apiKey', in: 'query', name: 'token' } },
    schemas: {
      Error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } }, required: ['code', 'message'] },
      Settings: { type: 'object', description: 'See shared/settings.ts: space, ranges, quality, blur, open, close, minArea, blobs, motion.' },
    },
  },
  security: [{ bearer: [] }, { query: [] }],
  paths: {
    '/healthz': { get: { summary: 'The front is up', security: [], responses: { 200: ok('up') } } },
    '/readyz': { get: { summary: 'Every camera is live', responses: { 200: ok('live'), 503: ok('not all live') } } },
    '/api/cameras': { get: { summary: 'Every camera: name, state, reason, source (redacted), size, fps, viewers, pid, restarts, coverage', responses: { 200: ok('cameras') } } },
    '/metrics': { get: { summary: 'Prometheus metrics, with a camera label', responses: { 200: { description: 'text format' } } } },
    ...cameraPaths('/cam/{camera}', [camera]),
    ...cameraPaths('', []),
  },
};
