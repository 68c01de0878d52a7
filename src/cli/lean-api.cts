/**
 * The few API calls the short-lived helpers make (the CNI plugin, the libvirt network hook),
 * over node:http alone. A container start or a libvirt port runs them as a fresh process, so
 * they load no schema library, no model and no command framework: node reads every module
 * file at each start (in the lab VM over 9p under emulation, that was most of an ADD's time;
 * test/cli/lean-entries.test.ts keeps the set small).
 */
import { request } from 'node:http';
import type {
  Claim,
  ClaimBodyInput,
  ClaimResult,
  PoolView,
  ReleaseResult,
} from '../model/index.js';

export const SYSTEM_SOCKET = '/run/nicvisor/nicvisor.sock';

export class LeanApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function call<T>(
  socket: string,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 0,
): Promise<T> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: socket,
        ...(timeoutMs > 0 ? { timeout: timeoutMs } : {}),
        path,
        method,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let data: unknown = null;
          try {
            data = text ? JSON.parse(text) : null;
          } catch {
            data = { error: text };
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(data as T);
          else
            reject(
              new LeanApiError(status, (data as { error?: string })?.error ?? `HTTP ${status}`),
            );
        });
      },
    );
    // An idle socket for timeoutMs (a daemon that accepts and never answers): given up.
    req.on('timeout', () =>
      req.destroy(
        new LeanApiError(
          0,
          `the daemon at unix:${socket} did not answer ${method} ${path} within ${timeoutMs / 1000} s`,
        ),
      ),
    );
    req.on('error', (err: NodeJS.ErrnoException) =>
      err instanceof LeanApiError
        ? reject(err)
        : reject(
            new LeanApiError(
              0,
              `cannot reach the daemon at unix:${socket} (${err.code ?? err.message}): is \`nicvisor serve\` running? set "socket" in the netconf`,
            ),
          ),
    );
    req.end(payload);
  });
}

const e = encodeURIComponent;

/** `timeoutMs`: give up on a call whose socket stays idle that long (0: wait). */
export function leanApi(socket: string, opts: { timeoutMs?: number } = {}) {
  const t = opts.timeoutMs ?? 0;
  return {
    claim: (pool: string, body: ClaimBodyInput) =>
      call<ClaimResult>(socket, 'POST', `/v1/pools/${e(pool)}/claims`, body, t),
    pool: (pool: string) => call<PoolView>(socket, 'GET', `/v1/pools/${e(pool)}`, undefined, t),
    release: (id: string) =>
      call<ReleaseResult>(socket, 'DELETE', `/v1/claims/${e(id)}`, undefined, t),
    releaseOwner: (pool: string, owner: string, ifname: string) =>
      call<{ released: ReleaseResult[] }>(
        socket,
        'DELETE',
        `/v1/pools/${e(pool)}/claims?owner=${e(owner)}&ifname=${e(ifname)}`,
        undefined,
        t,
      ),
  };
}
export type LeanApi = ReturnType<typeof leanApi>;
export type { Claim };
