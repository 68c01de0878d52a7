/**
 * PUT /v1/pfs/{id}: one PF's policy (numVfs, MTU, loopback, flow control, QoS). The id is
 * the PF's (`0000:08:00.0`, `sim:nic0/0`, URL-encoded); a `pf` in the body must match it.
 */
import type { FastifyInstance } from 'fastify';
import { DaemonError } from '../../daemon/errors.js';
import type { Daemon } from '../../daemon/service.js';
import { PutPfBody } from '../../model/index.js';
import { parseBody } from '../bodies.js';

export function pfRoutes(app: FastifyInstance, daemon: Daemon): void {
  app.put('/v1/pfs/:id', async (req) => {
    const id = (req.params as { id: string }).id;
    const body = parseBody(PutPfBody, req.body, `pfs/${id}`);
    if (body.pf !== undefined && body.pf !== id)
      throw new DaemonError(
        'refused',
        `PF ${JSON.stringify(body.pf)} in the body does not match the path's "${id}": make them match or leave pf out`,
        [
          {
            file: `pfs/${id}`,
            field: 'pf',
            value: body.pf,
            allowed: `"${id}" or absent`,
            fix: 'make the body pf match the URL',
            message: 'pf in body and path differ',
          },
        ],
      );
    return daemon.putPf({ ...body, pf: id }, req.principal.who);
  });
}
