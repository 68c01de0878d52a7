/** Fleet mode: this host's agent (its connection, revision, lag, refusals). */
import type { FastifyInstance } from 'fastify';
import { DaemonError } from '../../daemon/errors.js';
import type { Daemon } from '../../daemon/service.js';

export function fleetRoutes(app: FastifyInstance, daemon: Daemon): void {
  app.get('/v1/fleet/agent', async () => {
    const agent = daemon.fleetAgent;
    if (!agent)
      throw new DaemonError(
        'notFound',
        'this daemon is not in fleet mode: start it with `nicvisor serve --fleet etcd://HOST:PORT`',
      );
    return agent.view();
  });
}
