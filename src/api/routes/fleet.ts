/**
 * Fleet mode: this host's agent (its connection, revision, lag, refusals), and the fleet as
 * its store says — hosts with health and sync state, the rollout in progress — for the
 * dashboard and for operators who reach one daemon rather than etcd.
 */
import type { FastifyInstance } from 'fastify';
import { DaemonError } from '../../daemon/errors.js';
import { hostSummaries } from '../../daemon/fleet/view.js';
import type { Daemon, FleetAgentLike } from '../../daemon/service.js';

function agentOf(daemon: Daemon): FleetAgentLike {
  const agent = daemon.fleetAgent;
  if (!agent)
    throw new DaemonError(
      'notFound',
      'this daemon is not in fleet mode: start it with `nicvisor serve --fleet etcd://HOST:PORT`',
    );
  return agent;
}

/** A read of the fleet store; unreachable, a 503 that says so (this host keeps running). */
async function fromStore<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    throw new DaemonError(
      'unavailable',
      `the fleet store is unreachable (${(err as Error).message}): this host keeps its last state; its own view is GET /v1/fleet/agent`,
    );
  }
}

export function fleetRoutes(app: FastifyInstance, daemon: Daemon): void {
  app.get('/v1/fleet/agent', async () => agentOf(daemon).view());
  app.get('/v1/fleet/hosts', async () => {
    const agent = agentOf(daemon);
    return hostSummaries(await fromStore(() => agent.fleet()));
  });
  app.get('/v1/fleet/rollout', async () => {
    const agent = agentOf(daemon);
    return fromStore(() => agent.rollout());
  });
}
