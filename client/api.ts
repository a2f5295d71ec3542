/**
 * The viewer's side of the camera's HTTP API (rules, events, recordings, models): JSON in and
 * out, the token in the cookie the page was given, and `Content-Type: application/json` on
 * every request that changes something (the server refuses others, so that a page elsewhere
 * cannot send them). A refused request becomes an ApiError carrying the server's code and its
 * sentence, which the caller shows as it is.
 */

/** ApiError is a request the server refused (or could not be sent: status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Changing = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Api sends requests to one camera's routes. */
export class Api {
  constructor(
    /** url makes a path of the camera's API (`/api/rules`) into the URL to fetch */
    readonly url: (path: string) => string,
  ) {}

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  /** send makes a change; `body` goes as JSON (none for DELETE). */
  send<T>(method: Changing, path: string, body: unknown = {}): Promise<T> {
    return this.request<T>(method, path, method === 'DELETE' ? undefined : body);
  }

  private async request<T>(method: 'GET' | Changing, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.url(path), {
        method,
        credentials: 'same-origin',
        headers: method === 'GET' ? {} : { 'content-type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch {
      throw new ApiError(0, 'UNREACHABLE', 'the server cannot be reached');
    }
    const data = (await res.json().catch(() => null)) as { code?: string; message?: string } | null;
    if (!res.ok) throw new ApiError(res.status, data?.code ?? 'HTTP', data?.message ?? `the server answered ${res.status}`);
    return data as T;
  }
}
