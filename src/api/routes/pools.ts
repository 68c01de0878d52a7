/** /v1/pools and /v1/claims routes: parse the path and body, then call the daemon's pools. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DaemonError } from '../../daemon/errors.js';
import type { Daemon } from '../../daemon/service.js';
import {
  ClaimBody,
  MIGRATION_TOKEN_RE,
  MigratePrepareBody,
  MigrationReserveBody,
  MigrationStepBody,
  OwnerKind,
  POOL_NAME_ALLOWED,
  POOL_NAME_RE,
} from '../../model/index.js';
import { parseBody } from '../bodies.js';

const CLAIM_ID_RE = /^[a-z0-9][a-z0-9_-]{0,31}-\d{1,15}$/;

function param(req: FastifyRequest, key: 'pool' | 'id'): string {
  const v = (req.params as Record<string, string>)[key] ?? '';
  const [re, allowed] =
    key === 'pool' ? [POOL_NAME_RE, POOL_NAME_ALLOWED] : [CLAIM_ID_RE, 'POOL-N, e.g. net1-7'];
  if (!re.test(v))
    throw new DaemonError(
      'invalid',
      `${key} ${JSON.stringify(v.slice(0, 80))} is not valid: use ${allowed}`,
    );
  return v;
}

function tokenParam(req: FastifyRequest): string {
  const v = (req.params as Record<string, string>).token ?? '';
  if (!MIGRATION_TOKEN_RE.test(v))
    throw new DaemonError(
      'invalid',
      `migration token ${JSON.stringify(v.slice(0, 80))} is not valid: use the token \`nicvisor migrate prepare\` printed (8-64 of A-Z a-z 0-9 _ -)`,
    );
  return v;
}

function query(req: FastifyRequest): Record<string, string | undefined> {
  return (req.query ?? {}) as Record<string, string | undefined>;
}

/** `?fence=N`: absent, or a non-negative integer. */
function fence(req: FastifyRequest): number | undefined {
  const f = query(req).fence;
  if (f === undefined) return undefined;
  if (!/^\d{1,15}$/.test(f))
    throw new DaemonError(
      'invalid',
      `fence ${JSON.stringify(f)} is not valid: use the claim's fence token (an integer)`,
    );
  return Number(f);
}

/** `?owner=KIND:ID[&ifname=IF]` of a release by owner. */
function ownerQuery(req: FastifyRequest): { kind: OwnerKind; id: string; ifname?: string } {
  const { owner, ifname } = query(req);
  const m = /^(vm|pod|process):([A-Za-z0-9._:@-]{1,128})$/.exec(owner ?? '');
  if (!m)
    throw new DaemonError(
      'invalid',
      `owner ${JSON.stringify(owner ?? null)} is not valid: use ?owner=KIND:ID with KIND one of ${OwnerKind.options.join(', ')}`,
    );
  return { kind: m[1] as OwnerKind, id: m[2]!, ...(ifname ? { ifname } : {}) };
}

export function poolRoutes(app: FastifyInstance, daemon: Daemon): void {
  app.get('/v1/pools', async () => daemon.pools.views());

  app.get('/v1/pools/:pool', async (req) => daemon.pools.view(param(req, 'pool')));

  app.get('/v1/pools/:pool/claims', async (req) => daemon.pools.view(param(req, 'pool')).claims);

  app.post('/v1/pools/:pool/claims', async (req) => {
    const pool = param(req, 'pool');
    const body = parseBody(ClaimBody, req.body, `pools/${pool}/claims`);
    return daemon.pools.claims.claim(pool, body, req.principal.who);
  });

  app.delete('/v1/pools/:pool/claims', async (req) => {
    const pool = param(req, 'pool');
    daemon.pools.claims.pool(pool);
    const o = ownerQuery(req);
    const released = await daemon.pools.claims.releaseOwner(
      o.kind,
      o.id,
      o.ifname,
      req.principal.who,
      pool,
    );
    return { released };
  });

  app.get('/v1/pools/:pool/libvirt-network', async (req) => ({
    xml: await daemon.pools.networkXml(param(req, 'pool')),
  }));

  app.get('/v1/claims/:id', async (req) => daemon.pools.claims.get(param(req, 'id')));

  app.delete('/v1/claims/:id', async (req) =>
    daemon.pools.claims.release(param(req, 'id'), { fence: fence(req), who: req.principal.who }),
  );

  app.post('/v1/claims/:id/renew', async (req) =>
    daemon.pools.claims.renew(param(req, 'id'), fence(req), req.principal.who),
  );

  app.get('/v1/claims/:id/libvirt-xml', async (req) => {
    const peer = query(req).peer;
    return { xml: daemon.pools.interfaceXml(param(req, 'id'), peer) };
  });

  migrationRoutes(app, daemon);
}

/** The migration hand-off (daemon/pools/migration.ts): source half, then target half. */
function migrationRoutes(app: FastifyInstance, daemon: Daemon): void {
  const m = daemon.pools.migrations;
  app.post('/v1/claims/:id/migrate/prepare', async (req) => {
    const id = param(req, 'id');
    const body = parseBody(MigratePrepareBody, req.body, `claims/${id}/migrate/prepare`);
    return m.prepare(id, body, req.principal.who);
  });
  app.post('/v1/claims/:id/migrate/commit', async (req) => {
    const id = param(req, 'id');
    const { token } = parseBody(MigrationStepBody, req.body, `claims/${id}/migrate/commit`);
    return m.commitSource(id, token, req.principal.who);
  });
  app.post('/v1/claims/:id/migrate/abort', async (req) => {
    const id = param(req, 'id');
    const { token } = parseBody(MigrationStepBody, req.body, `claims/${id}/migrate/abort`);
    return m.abortSource(id, token, req.principal.who);
  });
  app.post('/v1/migrations', async (req) =>
    m.reserve(parseBody(MigrationReserveBody, req.body, 'migrations'), req.principal.who),
  );
  app.get('/v1/migrations/:token', async (req) => m.get(tokenParam(req)));
  app.post('/v1/migrations/:token/commit', async (req) =>
    m.commitTarget(tokenParam(req), req.principal.who),
  );
  app.post('/v1/migrations/:token/abort', async (req) =>
    m.abortTarget(tokenParam(req), req.principal.who),
  );
}
