/** Typed calls of the pool and claim API, over the shared client. */
import type {
  Claim,
  ClaimBodyInput,
  ClaimResult,
  MigratePrepareBody,
  MigrationReserveBody,
  MigrationReserveResult,
  MigrationSourceCommitResult,
  MigrationTargetAbortResult,
  MigrationTargetCommitResult,
  MigrationTicket,
  PoolView,
  ReleaseResult,
} from '../model/index.js';
import type { ApiClient } from './client.js';

const e = encodeURIComponent;

export const poolApi = (c: ApiClient) => ({
  pools: () => c.request<PoolView[]>('GET', '/v1/pools'),
  pool: (name: string) => c.request<PoolView>('GET', `/v1/pools/${e(name)}`),
  claim: (pool: string, body: ClaimBodyInput) =>
    c.request<ClaimResult>('POST', `/v1/pools/${e(pool)}/claims`, body),
  getClaim: (id: string) => c.request<Claim>('GET', `/v1/claims/${e(id)}`),
  release: (id: string, fence?: number) =>
    c.request<ReleaseResult>(
      'DELETE',
      `/v1/claims/${e(id)}${fence === undefined ? '' : `?fence=${fence}`}`,
    ),
  releaseOwner: (pool: string, owner: string, ifname?: string) =>
    c.request<{ released: ReleaseResult[] }>(
      'DELETE',
      `/v1/pools/${e(pool)}/claims?owner=${e(owner)}${ifname ? `&ifname=${e(ifname)}` : ''}`,
    ),
  renew: (id: string) => c.request<Claim>('POST', `/v1/claims/${e(id)}/renew`),
  interfaceXml: (id: string, peer?: string) =>
    c.request<{ xml: string }>(
      'GET',
      `/v1/claims/${e(id)}/libvirt-xml${peer ? `?peer=${e(peer)}` : ''}`,
    ),
  networkXml: (pool: string) =>
    c.request<{ xml: string }>('GET', `/v1/pools/${e(pool)}/libvirt-network`),
});

/** The migration calls: source half on `/v1/claims/{id}/migrate/…`, target on `/v1/migrations`. */
export const migrationApi = (c: ApiClient) => ({
  prepare: (id: string, body: MigratePrepareBody) =>
    c.request<MigrationTicket>('POST', `/v1/claims/${e(id)}/migrate/prepare`, body),
  commitSource: (id: string, token: string) =>
    c.request<MigrationSourceCommitResult>('POST', `/v1/claims/${e(id)}/migrate/commit`, {
      token,
    }),
  abortSource: (id: string, token: string) =>
    c.request<Claim>('POST', `/v1/claims/${e(id)}/migrate/abort`, { token }),
  reserve: (body: MigrationReserveBody) =>
    c.request<MigrationReserveResult>('POST', '/v1/migrations', body),
  get: (token: string) => c.request<Claim>('GET', `/v1/migrations/${e(token)}`),
  commitTarget: (token: string) =>
    c.request<MigrationTargetCommitResult>('POST', `/v1/migrations/${e(token)}/commit`),
  abortTarget: (token: string) =>
    c.request<MigrationTargetAbortResult>('POST', `/v1/migrations/${e(token)}/abort`),
});
