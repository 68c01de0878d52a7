/**
 * /v1/openapi.json, generated from the same zod schemas the server validates with and the
 * CLI types come from (z.toJSONSchema), so the document cannot drift from the code.
 */
import { z } from 'zod';
import { VERSION } from '../daemon/service.js';
import { VfRulesView } from '../model/eswitch.js';
import { FleetAgentView } from '../model/fleet.js';
import { VF_NAME_RE } from '../model/index.js';
import * as P from '../model/pools.js';
import * as T from '../model/wire/index.js';

type Json = Record<string, unknown>;

const schema = (s: z.ZodType, io: 'input' | 'output'): Json =>
  z.toJSONSchema(s, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as Json;

function op(summary: string, res: z.ZodType | null, body?: z.ZodType, params = false): Json {
  const o: Json = {
    summary,
    responses: {
      '200': res
        ? { description: 'OK', content: { 'application/json': { schema: schema(res, 'output') } } }
        : { description: 'OK' },
      '4XX': {
        description: 'Refused',
        content: { 'application/json': { schema: schema(T.ApiError, 'output') } },
      },
    },
  };
  if (body)
    o.requestBody = {
      required: true,
      content: { 'application/json': { schema: schema(body, 'input') } },
    };
  if (params)
    o.parameters = [
      {
        name: 'name',
        in: 'path',
        required: true,
        schema: { type: 'string', pattern: VF_NAME_RE.source },
      },
    ];
  return o;
}

/** A path parameter of the pool routes. */
function withParams(o: Json, ...names: ('pool' | 'id' | 'token')[]): Json {
  o.parameters = names.map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  return o;
}

/** The pool and claim routes (routes/pools.ts). */
function poolPaths(): Json {
  const released = z.object({ released: z.array(P.ReleaseResult) });
  const xml = z.object({ xml: z.string() });
  return {
    '/v1/pools': { get: op('List the VF pools with capacity, claimed, free', z.array(P.PoolView)) },
    '/v1/pools/{pool}': {
      get: withParams(op('One pool: members, claims, owners', P.PoolView), 'pool'),
    },
    '/v1/pools/{pool}/claims': {
      get: withParams(op('Claims of the pool', z.array(P.Claim)), 'pool'),
      post: withParams(
        op('Claim a VF (idempotent per owner + ifname); answers why', P.ClaimResult, P.ClaimBody),
        'pool',
      ),
      delete: withParams(
        op('Release the claims of ?owner=KIND:ID[&ifname=IF] (CNI DEL)', released),
        'pool',
      ),
    },
    '/v1/pools/{pool}/libvirt-network': {
      get: withParams(op("The pool as a libvirt <network> (forward mode='hostdev')", xml), 'pool'),
    },
    '/v1/claims/{id}': {
      get: withParams(op('One claim', P.Claim), 'id'),
      delete: withParams(
        op(
          'Release the claim (?fence=N refuses a stale owner); restored and verified',
          P.ReleaseResult,
        ),
        'id',
      ),
    },
    '/v1/claims/{id}/renew': { post: withParams(op('Renew the claim’s lease', P.Claim), 'id') },
    '/v1/claims/{id}/migrate/prepare': {
      post: withParams(
        op(
          'Migration, source: mark the claim migrating with the token; answers the ticket',
          T.MigrationTicket,
          T.MigratePrepareBody,
        ),
        'id',
      ),
    },
    '/v1/claims/{id}/migrate/commit': {
      post: withParams(
        op(
          'Migration, source: release the claim the token marked (idempotent)',
          T.MigrationSourceCommitResult,
          T.MigrationStepBody,
        ),
        'id',
      ),
    },
    '/v1/claims/{id}/migrate/abort': {
      post: withParams(op('Migration, source: back to active', P.Claim, T.MigrationStepBody), 'id'),
    },
    '/v1/migrations': {
      post: op(
        'Migration, target: reserve a VF with the ticket’s MAC in a matching pool',
        T.MigrationReserveResult,
        T.MigrationReserveBody,
      ),
    },
    '/v1/migrations/{token}': {
      get: withParams(op('Migration, target: the reservation or claim', P.Claim), 'token'),
    },
    '/v1/migrations/{token}/commit': {
      post: withParams(
        op(
          'Migration, target: activate the reservation (after the source released)',
          T.MigrationTargetCommitResult,
        ),
        'token',
      ),
    },
    '/v1/migrations/{token}/abort': {
      post: withParams(
        op('Migration, target: drop the reservation', T.MigrationTargetAbortResult),
        'token',
      ),
    },
    '/v1/claims/{id}/libvirt-xml': {
      get: withParams(
        op("The claim's <interface type='hostdev'> (?peer=ua-NAME adds <teaming>)", xml),
        'id',
      ),
    },
  };
}

export function openApiDocument(): Json {
  return {
    openapi: '3.0.3',
    info: {
      title: 'nicvisor API',
      version: VERSION,
      description:
        'SR-IOV NIC hypervisor daemon API (Unix socket by default; TCP with a bearer token).',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{}, { bearer: [] }],
    paths: {
      '/healthz': { get: op('Health and driver write count', T.HealthView) },
      '/v1/pfs': { get: op('List PFs', z.array(T.PfView)) },
      '/v1/pfs/{id}': {
        put: {
          ...op(
            'Add or update a PF policy (numVfs, MTU, loopback, QoS) in the main config file',
            T.PfChangeResult,
            T.PutPfBody,
          ),
          parameters: [
            {
              name: 'id',
              in: 'path',
              required: true,
              description: 'PF id (`0000:08:00.0`, `sim:nic0/0`), URL-encoded',
              schema: { type: 'string' },
            },
          ],
        },
      },
      '/v1/lags': {
        get: op('List LAGs: members, active member(s), failovers', z.array(T.LagView)),
      },
      '/v1/vfs': { get: op('List VFs', z.array(T.VfView)) },
      '/v1/vfs/{name}': {
        get: op('One VF', T.VfView, undefined, true),
        put: op('Add or update a VF policy (idempotent)', T.ChangeResult, T.PutVfBody, true),
        delete: op('Delete a VF policy and release the VF', T.DeleteResult, undefined, true),
      },
      '/v1/vfs/{name}/mirror': {
        put: op('Mirror this VF to another VF', T.ChangeResult, T.MirrorBody, true),
        delete: op('Stop mirroring', T.ChangeResult, undefined, true),
      },
      '/v1/vfs/{name}/rules': {
        get: op('The VF’s eswitch rules, live counters, in_hw', VfRulesView, undefined, true),
      },
      '/v1/vfs/{name}/history': {
        get: op(
          'Rates of the last minutes (?since=MS for newer samples)',
          T.VfHistory,
          undefined,
          true,
        ),
      },
      '/v1/vfs/{name}/requests': {
        post: op('A guest request (ack/nack)', T.GuestDecisionView, T.GuestRequestBody, true),
      },
      '/v1/vfs/{name}/credential': {
        post: op('Issue the VF’s guest credential', T.CredentialResult, undefined, true),
      },
      '/v1/apply': {
        post: op('Apply several policies as one change', T.ApplyResultView, T.ApplyBody),
      },
      '/v1/validate': {
        post: op('Dry-run a change', T.ValidateResult, T.ValidateBody),
      },
      '/v1/reload': { post: op('Re-read the config files', T.ReloadResult) },
      '/v1/log-level': {
        put: op('Change the log level', T.LogLevelResult, T.LogLevelBody),
      },
      '/v1/stats': { get: op('Counters (from the cache)', T.StatsView) },
      ...poolPaths(),
      '/v1/fleet/agent': { get: op('Fleet mode: this host’s agent', FleetAgentView) },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics (sriov_vf_* as sriov-network-metrics-exporter, nicvisor_*)',
          responses: { '200': { description: 'text/plain; version=0.0.4' } },
        },
      },
      '/v1/audit': {
        get: {
          ...op('The audit log, paged, newest first', T.AuditPageView),
          parameters: [
            {
              name: 'before',
              in: 'query',
              required: false,
              schema: { type: 'integer', minimum: 1 },
            },
            {
              name: 'limit',
              in: 'query',
              required: false,
              schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            },
          ],
        },
      },
      '/v1/events': {
        get: {
          summary:
            'Server-sent events (audit, vfStatus, vfChanged, stats, lag, claim, reload); ?types= narrows. Audit frames carry `id: SEQ`; `Last-Event-ID: SEQ` replays the audit entries after SEQ, then goes live',
          parameters: [
            { name: 'types', in: 'query', required: false, schema: { type: 'string' } },
            {
              name: 'Last-Event-ID',
              in: 'header',
              required: false,
              schema: { type: 'integer', minimum: 0 },
            },
          ],
          responses: {
            '200': {
              description: 'text/event-stream; each data line is a DaemonEvent',
              content: { 'text/event-stream': { schema: schema(T.DaemonEvent, 'output') } },
            },
          },
        },
      },
    },
  };
}
