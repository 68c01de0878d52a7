/**
 * The driver of a migration hand-off: the CLI talks to both daemons and orders the steps
 * (daemon/pools/migration.ts has each host's half, docs/pools.md the protocol). The driver
 * holds no state of its own: every step is idempotent and re-running a command after a
 * crash (of the CLI or of either daemon) continues where it stopped. The one rule it adds:
 * the target activates only after the source answered that its claim is released and no
 * claim on the source holds the MAC.
 */
import { randomBytes } from 'node:crypto';
import type {
  Claim,
  MigrationReserveResult,
  MigrationSourceCommitResult,
  MigrationTargetAbortResult,
  MigrationTargetCommitResult,
  MigrationTicket,
} from '../model/index.js';
import { type ApiClient, ApiRequestError } from './client.js';
import { migrationApi, poolApi } from './pool-client.js';

export interface Hosts {
  source: ApiClient;
  target: ApiClient;
}

/** Which host an error came from, in front of the daemon's own message. */
async function on<T>(host: 'source' | 'target', c: ApiClient, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof Error) err.message = `${host} (${c.target}): ${err.message}`;
    throw err;
  }
}

const isNotFound = (err: unknown) => err instanceof ApiRequestError && err.status === 404;

export const newToken = () => randomBytes(12).toString('base64url');

export interface PrepareOptions {
  token?: string;
  targetPool?: string;
  ttlSeconds?: number;
}

export interface Prepared {
  token: string;
  ticket: MigrationTicket;
  reservation: MigrationReserveResult;
}

/** Mark the source claim migrating, then reserve on the target; a refusal there undoes the mark. */
export async function prepare(h: Hosts, claim: string, o: PrepareOptions = {}): Promise<Prepared> {
  const token = o.token ?? newToken();
  const src = migrationApi(h.source);
  const ticket = await on('source', h.source, () =>
    src.prepare(claim, {
      token,
      target: h.target.target,
      ...(o.ttlSeconds ? { ttlSeconds: o.ttlSeconds } : {}),
    }),
  );
  try {
    const reservation = await on('target', h.target, () =>
      migrationApi(h.target).reserve({
        ticket,
        source: h.source.target,
        ...(o.targetPool ? { pool: o.targetPool } : {}),
      }),
    );
    return { token, ticket, reservation };
  } catch (err) {
    // The target said no (or is down): the claim goes back to active on the source.
    await src.abortSource(claim, token).catch(() => {});
    if (err instanceof Error) err.message += `; claim ${claim} is active on the source again`;
    throw err;
  }
}

/** The token of a claim's running migration, from the source (or the one given). */
async function tokenOf(h: Hosts, claim: string, given?: string): Promise<string> {
  if (given) return given;
  let c: Claim;
  try {
    c = await poolApi(h.source).getClaim(claim);
  } catch (err) {
    if (isNotFound(err))
      throw new Error(
        `claim ${claim} does not exist on the source (${h.source.target}): if a commit released it already, pass --token TOKEN (printed by \`migrate prepare\`) to finish`,
      );
    throw err;
  }
  if (c.state !== 'migrating' || c.migration?.role !== 'source')
    throw new Error(
      `claim ${claim} on the source is ${c.state}, not migrating: run \`nicvisor migrate prepare ${claim}\` first`,
    );
  return c.migration.token;
}

/** The target's reservation for the token, checked to belong to this claim. */
async function reservation(h: Hosts, claim: string, token: string): Promise<Claim> {
  const r = await on('target', h.target, () => migrationApi(h.target).get(token));
  if (r.migration?.sourceClaim !== claim)
    throw new Error(
      `target (${h.target.target}): migration ${token} is for claim ${r.migration?.sourceClaim}, not ${claim}`,
    );
  return r;
}

/** Claims on the source that still hold the MAC (none may, before the target activates). */
async function holdersOnSource(h: Hosts, mac: string): Promise<Claim[]> {
  const pools = await on('source', h.source, () => poolApi(h.source).pools());
  return pools.flatMap((p) => p.claims).filter((c) => c.mac === mac && c.state !== 'releasing');
}

export interface Committed {
  token: string;
  source: MigrationSourceCommitResult;
  target: MigrationTargetCommitResult;
}

/** Release on the source, then activate on the target. */
export async function commit(h: Hosts, claim: string, given?: string): Promise<Committed> {
  const token = await tokenOf(h, claim, given);
  const r = await reservation(h, claim, token);
  const source = await on('source', h.source, () =>
    migrationApi(h.source).commitSource(claim, token),
  );
  const holders = await holdersOnSource(h, r.mac);
  if (holders.length > 0)
    throw new Error(
      `source (${h.source.target}): MAC ${r.mac} is still held there by ${holders.map((c) => `claim ${c.id} (${c.state})`).join(', ')}; the target was not activated: release it there, then commit again`,
    );
  const target = await on('target', h.target, () => migrationApi(h.target).commitTarget(token));
  return { token, source, target };
}

export interface Aborted {
  token: string;
  target: MigrationTargetAbortResult;
  source: Claim;
}

/** Drop the target's reservation, then turn the source back to active. */
export async function abort(h: Hosts, claim: string, given?: string): Promise<Aborted> {
  const token = await tokenOf(h, claim, given);
  try {
    await poolApi(h.source).getClaim(claim);
  } catch (err) {
    if (isNotFound(err))
      throw new Error(
        `claim ${claim} was released on the source already (a commit is half done): run \`nicvisor migrate commit ${claim} --token ${token}\` to finish it; nothing was aborted`,
      );
    throw err;
  }
  const target = await on('target', h.target, () => migrationApi(h.target).abortTarget(token));
  const source = await on('source', h.source, () =>
    migrationApi(h.source).abortSource(claim, token),
  );
  return { token, target, source };
}
