/**
 * The dashboard's only way to the daemon: the HTTP API (fetch), with the admin token as a
 * bearer header. The token comes from the URL fragment the daemon prints (#token=…, which
 * browsers never send to a server) or the login box, and is kept in sessionStorage (this
 * tab only). Through the Unix socket no token is needed and none is asked for.
 */
import type { ApiError, DaemonEvent } from '../model/index.js';

export type Problem = NonNullable<ApiError['problems']>[number];

const KEY = 'nicvisor.token';

export class HttpError extends Error {
  readonly status: number;
  readonly problems: Problem[];

  constructor(status: number, body: ApiError | null, fallback: string) {
    super(body?.error ?? fallback);
    this.status = status;
    this.problems = body?.problems ?? [];
  }
}

/** Take a token from `#token=…` into sessionStorage and remove it from the address bar. */
export function adoptFragmentToken(): void {
  const m = /[#&]token=([^&]+)/.exec(location.hash);
  if (!m) return;
  sessionStorage.setItem(KEY, decodeURIComponent(m[1]));
  history.replaceState(null, '', location.pathname + location.search);
}

export function setToken(token: string): void {
  sessionStorage.setItem(KEY, token.trim());
}

export function hasToken(): boolean {
  return sessionStorage.getItem(KEY) !== null;
}

export function clearToken(): void {
  sessionStorage.removeItem(KEY);
}

function headers(json: boolean): HeadersInit {
  const h: Record<string, string> = {};
  const token = sessionStorage.getItem(KEY);
  if (token) h.authorization = `Bearer ${token}`;
  if (json) h['content-type'] = 'application/json';
  return h;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: headers(body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const data = text ? (JSON.parse(text) as unknown) : null;
  if (!res.ok)
    throw new HttpError(res.status, data as ApiError | null, `${method} ${path}: ${res.status}`);
  return data as T;
}

/**
 * Follow GET /v1/events until `signal` aborts, reconnecting after a pause when the stream
 * breaks. fetch rather than EventSource, because EventSource cannot send the bearer header;
 * like EventSource it sends the last `id:` seen as Last-Event-ID, so the daemon replays the
 * audit entries written while the page was disconnected.
 */
export async function followEvents(
  onEvent: (e: DaemonEvent) => void,
  onState: (connected: boolean) => void,
  signal: AbortSignal,
): Promise<void> {
  const last = { id: '' };
  while (!signal.aborted) {
    try {
      const h = headers(false) as Record<string, string>;
      if (last.id) h['last-event-id'] = last.id;
      const res = await fetch('/v1/events', { headers: h, signal });
      if (!res.ok || !res.body) throw new Error(`events: ${res.status}`);
      onState(true);
      await readStream(res.body, onEvent, last);
    } catch {
      // fall through to the pause; an abort ends the loop
    }
    onState(false);
    if (!signal.aborted) await new Promise((r) => setTimeout(r, 2000));
  }
}

async function readStream(
  body: ReadableStream<Uint8Array>,
  onEvent: (e: DaemonEvent) => void,
  last: { id: string },
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += decoder.decode(value, { stream: true });
    let cut = buf.indexOf('\n\n');
    while (cut >= 0) {
      const lines = buf.slice(0, cut).split('\n');
      const data = lines
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      const id = lines.find((l) => l.startsWith('id: '));
      if (id) last.id = id.slice(4);
      buf = buf.slice(cut + 2);
      if (data) onEvent(JSON.parse(data) as DaemonEvent);
      cut = buf.indexOf('\n\n');
    }
  }
}
