/**
 * GET /metrics (Prometheus text, served from the daemon's caches) and
 * GET /v1/vfs/{name}/history (the dashboard's plot data). Both need an admin principal on TCP
 * like every other route (auth.ts); a guest credential gets 403.
 */
import type { FastifyInstance } from 'fastify';
import type { Daemon } from '../../daemon/service.js';
import { HistoryQuery } from '../../model/index.js';
import { parseBody } from '../bodies.js';
import { vfName } from './vfs.js';

export function metricsRoutes(app: FastifyInstance, daemon: Daemon): void {
  app.get('/metrics', async (_req, reply) => {
    const m = await daemon.metrics();
    return reply.header('content-type', m.contentType).send(m.text);
  });

  app.get('/v1/vfs/:name/history', async (req) => {
    const name = vfName(req);
    const q = parseBody(HistoryQuery, req.query, `vfs/${name}/history`);
    return daemon.history(name, q.since);
  });
}
