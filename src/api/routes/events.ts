/**
 * GET /v1/events: server-sent events of the daemon's bus (audit entries, VF status, config
 * changes, stats ticks). `?types=audit,vfStatus` narrows the stream. A comment line every
 * 15 s keeps proxies from closing an idle stream.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Daemon } from '../../daemon/service.js';

const HEARTBEAT_MS = 15_000;

export function eventRoutes(app: FastifyInstance, daemon: Daemon): void {
  const open = new Set<ServerResponse>();
  app.addHook('onClose', async () => {
    for (const res of open) res.end();
  });
  app.get('/v1/events', (req, reply) => {
    const q = (req.query as { types?: string }).types;
    const types = q ? new Set(q.split(',')) : null;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    res.write(': nicvisor events\n\n');
    open.add(res);
    const unsubscribe = daemon.bus.subscribe((event) => {
      if (types && !types.has(event.type)) return;
      res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    });
    const beat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    beat.unref();
    res.on('close', () => {
      clearInterval(beat);
      unsubscribe();
      open.delete(res);
    });
  });
}
