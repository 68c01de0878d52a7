/** A small JSON client over the daemon's Unix socket (or TCP), for the reliability tests. */
import { Agent, request } from 'node:http';

export interface Reply {
  status: number;
  body: unknown;
  text: string;
}

export interface Target {
  socketPath?: string;
  port?: number;
  token?: string;
}

const agents = new Map<string, Agent>();

function agentFor(t: Target): Agent {
  const key = t.socketPath ?? `tcp:${t.port}`;
  let a = agents.get(key);
  if (!a) {
    a = new Agent({ keepAlive: true, maxSockets: 64 });
    agents.set(key, a);
  }
  return a;
}

/** Drop pooled connections (after a daemon was killed, its sockets are dead). */
export function resetAgents(): void {
  for (const a of agents.values()) a.destroy();
  agents.clear();
}

/**
 * Send one request. `body` may be a value (sent as JSON), or a Buffer/string sent as is
 * (for truncated JSON, invalid UTF-8 and the like). Rejects only on transport errors.
 */
export function call(
  t: Target,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const raw =
    body === undefined
      ? undefined
      : Buffer.isBuffer(body) || typeof body === 'string'
        ? body
        : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        ...(t.socketPath ? { socketPath: t.socketPath } : { host: '127.0.0.1', port: t.port }),
        agent: agentFor(t),
        method,
        path,
        headers: {
          ...(raw !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(t.token ? { authorization: `Bearer ${t.token}` } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {}
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (raw !== undefined) req.end(raw);
    else req.end();
  });
}
