/** /v1/vfs routes: parse the path and body, then call the daemon with typed values. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DaemonError } from '../../daemon/errors.js';
import type { Daemon } from '../../daemon/service.js';
import {
  GuestRequestBody,
  isRecord,
  isVfName,
  MirrorBody,
  PutVfBody,
  vfNameProblem,
} from '../../model/index.js';
import { parseBody } from '../bodies.js';

/** The VF name of the path, checked before it goes anywhere near the store. */
export function vfName(req: FastifyRequest): string {
  const name = (req.params as { name: string }).name;
  if (!isVfName(name)) {
    const problem = vfNameProblem(req.url, name);
    throw new DaemonError('invalid', problem.message, [problem]);
  }
  return name;
}

/** PUT /v1/vfs/NAME: the policy with the path's name; a different name in the body is refused. */
function putBody(req: FastifyRequest, daemon: Daemon, name: string) {
  const object = `vfs/${name}`;
  const body = parseBody(PutVfBody, req.body, object, () =>
    isRecord(req.body) ? daemon.validate({ vfs: [{ ...req.body, name }] }).problems : [],
  );
  if (body.name !== undefined && body.name !== name) {
    throw new DaemonError(
      'refused',
      `policy name ${JSON.stringify(body.name)} does not match the path name "${name}"`,
      [
        {
          file: object,
          field: 'name',
          value: body.name,
          allowed: `"${name}" or absent`,
          fix: 'make the body name match the URL',
          message: 'name in body and path differ',
        },
      ],
    );
  }
  return { ...body, name };
}

export function vfRoutes(app: FastifyInstance, daemon: Daemon): void {
  app.get('/v1/vfs', async () => daemon.listVfs());

  app.get('/v1/vfs/:name', async (req) => daemon.getVf(vfName(req)));

  app.get('/v1/vfs/:name/rules', async (req) => daemon.vfRules(vfName(req)));

  app.put('/v1/vfs/:name', async (req) => {
    const name = vfName(req);
    return daemon.putVf(putBody(req, daemon, name), req.principal.who);
  });

  app.delete('/v1/vfs/:name', async (req) => daemon.deleteVf(vfName(req), req.principal.who));

  app.put('/v1/vfs/:name/mirror', async (req) => {
    const name = vfName(req);
    const body = parseBody(MirrorBody, req.body, `vfs/${name}/mirror`);
    return daemon.setMirror(name, body, req.principal.who);
  });

  app.delete('/v1/vfs/:name/mirror', async (req) =>
    daemon.setMirror(vfName(req), null, req.principal.who),
  );

  app.post('/v1/vfs/:name/requests', async (req) => {
    const name = vfName(req);
    const request = parseBody(GuestRequestBody, req.body, `vfs/${name}/requests`);
    return daemon.guestRequest(name, request, req.principal.who);
  });

  app.post('/v1/vfs/:name/credential', async (req) =>
    daemon.issueCredential(vfName(req), req.principal.who),
  );
}
