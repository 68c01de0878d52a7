/**
 * The few API calls the CNI plugin makes, over node:http alone. A container start runs the
 * plugin as a fresh process, so it loads no schema library and no model (in the lab VM,
 * where node reads each module over 9p under emulation, that was most of an ADD's time).
 */
import { request } from 'node:http';
import type {
  Claim,
  ClaimBodyInput,
  ClaimResult,
  PoolView,
  ReleaseResult,
} from '../../model/index.js';

export const SYSTEM_SOCKET = '/run/nicvisor/nicvisor.sock';

export class CniApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function call<T>(socket: string, method: string, path: string, body?: unknown): Promise<T> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: socket,
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
              new CniApiError(status, (data as { error?: string })?.error ?? `HTTP ${status}`),
            );
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        new CniApiError(
          0,
          `cannot reach the daemon at unix:${socket} (${err.code ?? err.message}): is \`nicvisor serve\` running? set "socket" in the netconf`,
        ),
      ),
    );
    req.end(payload);
  });
}

const e = encodeURIComponent;

export function cniApi(socket: string) {
  return {
    claim: (pool: string, body: ClaimBodyInput) =>
      call<ClaimResult>(socket, 'POST', `/v1/pools/${e(pool)}/claims`, body),
    pool: (pool: string) => call<PoolView>(socket, 'GET', `/v1/pools/${e(pool)}`),
    release: (id: string) => call<ReleaseResult>(socket, 'DELETE', `/v1/claims/${e(id)}`),
    releaseOwner: (pool: string, owner: string, ifname: string) =>
      call<{ released: ReleaseResult[] }>(
        socket,
        'DELETE',
        `/v1/pools/${e(pool)}/claims?owner=${e(owner)}&ifname=${e(ifname)}`,
      ),
  };
}
export type CniApi = ReturnType<typeof cniApi>;
export type { Claim };
