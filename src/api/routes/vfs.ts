/** /v1/vfs routes: thin handlers over the daemon service. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DaemonError } from '../../daemon/errors.js';
import { isSafeVfName, vfNameProblemText } from '../../daemon/layout.js';
import type { Daemon } from '../../daemon/service.js';
import { parseBody } from '../problems.js';
import { GuestRequestBodySchema, MirrorBodySchema } from '../types.js';

/** The VF name of the path, checked before it goes anywhere near the store. */
export function vfName(req: FastifyRequest): string {
  const name = (req.params as { name: string }).name;
  if (!isSafeVfName(name)) {
    throw new DaemonError(400, vfNameProblemText(name), [
      {
        file: req.url,
        field: 'name',
        value: name,
        allowed: '[A-Za-z0-9._-]{1,64}, not starting with a dot',
        fix: 'use a valid VF name',
        message: vfNameProblemText(name),
      },
    ]);
  }
  return name;
}

export function vfRoutes(app: FastifyInstance, daemon: Daemon): void {
  app.get('/v1/vfs', async () => daemon.listVfs());

  app.get('/v1/vfs/:name', async (req) => daemon.getVf(vfName(req)));

  app.get('/v1/vfs/:name/rules', async (req) => daemon.vfRules(vfName(req)));

  app.put('/v1/vfs/:name', async (req) => daemon.putVf(vfName(req), req.body, req.principal.who));

  app.delete('/v1/vfs/:name', async (req) => daemon.deleteVf(vfName(req), req.principal.who));

  app.put('/v1/vfs/:name/mirror', async (req) => {
    const name = vfName(req);
    return daemon.setMirror(
      name,
      parseBody(MirrorBodySchema, req.body, `vfs/${name}/mirror`),
      req.principal.who,
    );
  });

  app.delete('/v1/vfs/:name/mirror', async (req) =>
    daemon.setMirror(vfName(req), null, req.principal.who),
  );

  app.post('/v1/vfs/:name/requests', async (req) => {
    const name = vfName(req);
    const request = parseBody(GuestRequestBodySchema, req.body, `vfs/${name}/requests`);
    return daemon.guestRequest(name, request, req.principal.who);
  });

  app.post('/v1/vfs/:name/credential', async (req) =>
    daemon.issueCredential(vfName(req), req.principal.who),
  );
}
