/** A small JSON client over the daemon's Unix socket (or TCP), for the reliability tests. */
import { Agent, request } from 'node:http';
import { connect } from 'node:net';

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

/** Bodies above this go over a raw socket (see rawCall). */
const HUGE = 256 * 1024;

/**
 * A server refusing a huge body answers 413 and closes while the client is still writing;
 * node's http client then reports EPIPE and drops the answer. This writes the request on a
 * raw socket, ignores write errors, and parses whatever answer arrives before the close.
 */
function rawCall(
  socketPath: string,
  method: string,
  path: string,
  body: Buffer,
  headers: Record<string, string>,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', () => {});
    sock.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const m = /^HTTP\/1\.1 (\d+)/.exec(text);
      if (!m) return reject(new Error(`no HTTP answer to ${method} ${path}`));
      const bodyText = text.slice(text.indexOf('\r\n\r\n') + 4);
      let parsed: unknown = bodyText;
      try {
        parsed = JSON.parse(bodyText);
      } catch {}
      resolve({ status: Number(m[1]), body: parsed, text: bodyText });
    });
    const head = [
      `${method} ${path} HTTP/1.1`,
      'Host: localhost',
      `Content-Type: ${headers['content-type'] ?? 'application/json'}`,
      `Content-Length: ${body.length}`,
      'Connection: close',
      '',
      '',
    ].join('\r\n');
    sock.write(head);
    // The daemon refuses by Content-Length before reading the body: give it the chance to
    // answer first, and only then send the body (to one that did not answer).
    setTimeout(() => {
      if (chunks.length === 0 && !sock.destroyed) sock.write(body);
    }, 100);
  });
}

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
  if (raw !== undefined && raw.length > HUGE && t.socketPath)
    return rawCall(t.socketPath, method, path, Buffer.from(raw), headers);
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
