/** Daemon-wide routes: health, PFs, LAGs, stats, reload, log level, validate, apply, OpenAPI. */
import type { FastifyInstance } from 'fastify';
import type { Daemon } from '../../daemon/service.js';
import { ApplyBody, isRecord, LogLevelBody, ValidateBody } from '../../model/index.js';
import { parseBody } from '../bodies.js';
import { openApiDocument } from '../openapi.js';

/** What a dry run finds in an /v1/apply body that did not parse (every policy, every rule). */
function applyProblems(daemon: Daemon, body: unknown) {
  if (!isRecord(body) || !Array.isArray(body.vfs)) return [];
  const del = Array.isArray(body.delete) ? body.delete.filter((d) => typeof d === 'string') : [];
  return daemon.validate({ vfs: body.vfs, delete: del }).problems;
}

export function systemRoutes(app: FastifyInstance, daemon: Daemon): void {
  app.get('/healthz', async () => daemon.health());
  app.get('/v1/pfs', async () => daemon.listPfs());
  app.get('/v1/lags', async () => daemon.listLags());
  app.get('/v1/stats', async () => daemon.stats());
  app.post('/v1/reload', async (req) => daemon.reload(req.principal.who));
  app.put('/v1/log-level', async (req) => {
    const body = parseBody(LogLevelBody, req.body, 'log-level');
    return daemon.setLogLevel(body.level, req.principal.who);
  });
  app.post('/v1/validate', async (req) =>
    daemon.dryRun(parseBody(ValidateBody, req.body, 'validate')),
  );
  app.post('/v1/apply', async (req) => {
    const body = parseBody(ApplyBody, req.body, 'apply', () => applyProblems(daemon, req.body));
    return daemon.apply(body, req.principal.who);
  });
  let doc: unknown = null;
  app.get('/v1/openapi.json', async () => {
    doc ??= openApiDocument();
    return doc;
  });
}
