/** Daemon-wide routes: health, PFs, stats, reload, log level, validate, apply, OpenAPI. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isSafeVfName } from '../../daemon/layout.js';
import type { Daemon } from '../../daemon/service.js';
import { type ApplyBody, LogLevelBody, ValidateBody } from '../../model/index.js';
import { openApiDocument } from '../openapi.js';
import { parseBody } from '../problems.js';

/** /v1/apply bodies are checked loosely here; each policy is validated by the store. */
const ApplyEnvelope = z.strictObject({
  vfs: z.array(z.record(z.string(), z.unknown())).max(4096).default([]),
  delete: z
    .array(z.string().refine(isSafeVfName, 'a VF name: 1-64 of A-Z a-z 0-9 . _ -, no leading dot'))
    .max(4096)
    .default([]),
});

export function systemRoutes(app: FastifyInstance, daemon: Daemon): void {
  app.get('/healthz', async () => daemon.health());
  app.get('/v1/pfs', async () => daemon.listPfs());
  app.get('/v1/stats', async () => daemon.stats());
  app.post('/v1/reload', async (req) => daemon.reload(req.principal.who));
  app.put('/v1/log-level', async (req) => {
    const body = parseBody(LogLevelBody, req.body, 'log-level');
    return daemon.setLogLevel(body.level, req.principal.who);
  });
  app.post('/v1/validate', async (req) =>
    daemon.validate(parseBody(ValidateBody, req.body, 'validate')),
  );
  app.post('/v1/apply', async (req) => {
    const body = parseBody(ApplyEnvelope, req.body, 'apply');
    return daemon.apply(body as ApplyBody, req.principal.who);
  });
  let doc: unknown = null;
  app.get('/v1/openapi.json', async () => {
    doc ??= openApiDocument();
    return doc;
  });
}
