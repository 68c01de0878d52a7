/**
 * The migration hand-off of a claim between two hosts. Each host's daemon does its half;
 * the driver (`nicvisor migrate`) carries the ticket and orders the steps:
 *
 *   prepare: source marks the claim `migrating` with the token (still active there) and
 *            answers the ticket; the target reserves a VF with the same MAC (`reserved`,
 *            nothing applied), both with an expiry.
 *   commit:  source releases its claim (restored, verified); only then the target turns its
 *            reservation active and applies the profile with that MAC.
 *   abort:   target drops the reservation; source turns back to `active`.
 *
 * Every state change is one durable ledger write under the ledger's lock that checks the
 * state and the token it expects, so a crash at any point leaves each host in a state of
 * the protocol, and the expiry resolves each one alone: a reservation is swept (VF freed,
 * never activated), a source mark reverts to active (its commit, which would need the mark,
 * is then refused). The MAC is active on the target only after the source released it.
 */

import type { NicDriver } from '../../drivers/driver.js';
import {
  type Claim,
  ClaimBody,
  type MigratePrepare,
  type MigrationReserve,
  type MigrationReserveResult,
  type MigrationSourceCommitResult,
  type MigrationTargetAbortResult,
  type MigrationTargetCommitResult,
  type MigrationTicket,
} from '../../model/index.js';
import { networkPfs } from '../../policy/pools/inventory.js';
import { isExpired, targetMismatch, ticketOf } from '../../policy/pools/migration.js';
import type { AuditLog } from '../audit.js';
import { DaemonError } from '../errors.js';
import type { EventBus } from '../events.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import type { Claims } from './claims.js';
import type { Ledger } from './ledger.js';
import type { PoolMetrics } from './metrics.js';

export interface MigrationDeps {
  claims: Claims;
  ledger: Ledger;
  store: Store;
  driver: NicDriver;
  audit: AuditLog;
  /** Each step is also a claim event (the dashboard's pools card follows them). */
  bus: EventBus;
  log: Logger;
  metrics: PoolMetrics;
  /** Milliseconds since the epoch (Date.now unless a test moves time). */
  now: () => number;
}

const refused = (m: string) => new DaemonError('refused', m);

export class Migrations {
  private readonly d: MigrationDeps;

  constructor(deps: MigrationDeps) {
    this.d = deps;
  }

  private audit(who: string, c: Claim, reason: string, request: Record<string, unknown>): void {
    this.d.audit.record({
      who,
      via: who === 'sweeper' || who === 'daemon' ? 'daemon' : 'api',
      action: 'pool.migrate',
      target: c.policy,
      request,
      result: 'ok',
      reason,
    });
    const owner = `${c.owner.kind}:${c.owner.id}`;
    this.d.bus.emit({ type: 'claim', pool: c.pool, claim: c.id, change: 'migration', owner });
  }

  /** Change one claim under the ledger's lock: `next` returns the new claim, or null to keep it. */
  private change<T>(
    id: string,
    next: (c: Claim | undefined) => { claim: Claim | null; value: T },
  ): Promise<T> {
    return this.d.ledger.update((now) => {
      const c = now.claims.find((x) => x.id === id);
      const out = next(c);
      if (out.claim === null) return { claims: null, value: out.value };
      const n = out.claim;
      return { claims: now.claims.map((x) => (x.id === id ? n : x)), value: out.value };
    });
  }

  // ---- source host ----

  /** Mark a claim migrating with the driver's token and answer the ticket for the target. */
  async prepare(id: string, body: MigratePrepare, who: string): Promise<MigrationTicket> {
    const c0 = this.d.claims.get(id);
    const pool = this.d.claims.pool(c0.pool);
    if (!pool.migratable)
      throw refused(
        `claim ${id}: pool ${pool.name} is not migratable: set "migratable": true on pool ${pool.name} to migrate its claims`,
      );
    if (c0.owner.kind === 'process')
      throw refused(
        `claim ${id} belongs to process:${c0.owner.id}: a process does not move to another host; only vm and pod claims migrate`,
      );
    if (body.fence !== undefined && body.fence !== c0.fence)
      throw refused(`claim ${id}: fence token ${body.fence} is stale (the claim's is ${c0.fence})`);
    const expires = new Date(this.d.now() + body.ttlSeconds * 1000).toISOString();
    const { claim, retry } = await this.change(id, (c) => {
      if (!c) throw this.d.claims.notFoundClaim(id);
      if (c.state === 'migrating' && c.migration?.token === body.token)
        return { claim: null, value: { claim: c, retry: true } };
      if (c.state === 'migrating')
        throw refused(
          `claim ${id} is already migrating to ${c.migration?.peer ?? 'another host'} (until ${c.migration?.expires}): run \`nicvisor migrate abort ${id}\` with that migration's token, or wait until then`,
        );
      if (c.state !== 'active')
        throw refused(`claim ${id} is ${c.state}: only an active claim can migrate`);
      const n: Claim = {
        ...c,
        state: 'migrating',
        migration: { token: body.token, role: 'source', expires, peer: body.target },
      };
      return { claim: n, value: { claim: n, retry: false } };
    });
    if (!retry)
      this.audit(who, claim, `claim ${id} migrating to ${body.target} until ${expires}`, {
        claim: id,
        step: 'prepare',
        token: body.token,
      });
    return ticketOf(claim, pool, body.token, body.ttlSeconds);
  }

  /** The VM left this host: release the claim the token marked (idempotent). */
  async commitSource(id: string, token: string, who: string): Promise<MigrationSourceCommitResult> {
    const c = await this.change(id, (c) => {
      if (!c) return { claim: null, value: null };
      if (c.state === 'releasing' && c.migration?.token === token) return { claim: null, value: c };
      if (c.state !== 'migrating' || c.migration?.token !== token)
        throw refused(
          `claim ${id} is ${c.state}${c.migration ? ` with another migration token` : ''}, not migrating with token ${token}: ` +
            (c.state === 'active'
              ? 'its hand-off was aborted or expired, the VM is still served here; prepare again'
              : 'nothing was released'),
        );
      if (isExpired(c, this.d.now()))
        throw refused(
          `claim ${id}: its hand-off expired at ${c.migration.expires} (the target's reservation is swept); the claim stays here; prepare again`,
        );
      return { claim: { ...c, state: 'releasing' }, value: c };
    });
    if (!c) return { released: id, verified: true, differences: [], alreadyReleased: true };
    const r = await this.d.claims.release(id, {
      who,
      reason: `migrated to ${c.migration?.peer ?? 'another host'} (token ${token})`,
    });
    return { ...r, alreadyReleased: false };
  }

  /** Back to active: the migration will not happen. Idempotent. */
  async abortSource(id: string, token: string, who: string): Promise<Claim> {
    const { claim, changed } = await this.change(id, (c) => {
      if (!c)
        throw new DaemonError(
          'notFound',
          `claim ${JSON.stringify(id)} does not exist here: if a commit released it already, finish with \`nicvisor migrate commit\``,
        );
      if (c.state === 'active' && c.migration?.role !== 'source')
        return { claim: null, value: { claim: c, changed: false } };
      if (c.state !== 'migrating' || c.migration?.token !== token)
        throw refused(
          `claim ${id} is ${c.state}${c.migration ? ' with another migration token' : ''}, not migrating with token ${token}`,
        );
      const { migration: _m, ...rest } = c;
      const n: Claim = { ...rest, state: 'active' };
      return { claim: n, value: { claim: n, changed: true } };
    });
    if (changed) await this.dropMove(claim, token);
    if (changed)
      this.audit(who, claim, `migration of claim ${id} aborted; active here again`, {
        claim: id,
        step: 'abort',
        token,
      });
    return claim;
  }

  // ---- target host ----

  private byToken(token: string): Claim | undefined {
    return this.d.ledger
      .view()
      .claims.find((c) => c.migration?.role === 'target' && c.migration.token === token);
  }

  get(token: string): Claim {
    const c = this.byToken(token);
    if (!c)
      throw new DaemonError(
        'notFound',
        `no migration with token ${token} on this host (never prepared, aborted, or its reservation expired and was swept)`,
      );
    return c;
  }

  /** Reserve a VF with the ticket's MAC in a matching pool. Idempotent per token. */
  async reserve(body: MigrationReserve, who: string): Promise<MigrationReserveResult> {
    const t = body.ticket;
    const had = this.byToken(t.token);
    if (had) {
      // A retry records the move too: a crash may have come between the ledger and the fleet.
      if (had.state === 'reserved') await this.recordMove(had);
      return { claim: had, existing: true, why: ['this token has reserved already (retry)'] };
    }
    const pool = this.d.claims.pool(body.pool ?? t.pool);
    const mismatch = targetMismatch(pool, t);
    if (mismatch.length > 0)
      throw refused(`migration of claim ${t.claim}: no matching pool here: ${mismatch.join('; ')}`);
    const claimBody = ClaimBody.parse({
      owner: t.owner,
      mac: t.mac,
      ...(t.ifname ? { ifname: t.ifname } : {}),
    });
    const pfs = networkPfs(pool, this.d.store.state().main.pools);
    const observed = (await this.d.driver.observe()).filter((p) => pfs.has(p.id));
    const expires = new Date(this.d.now() + t.ttlSeconds * 1000).toISOString();
    let r: { claim: Claim; why: string[]; existing: boolean };
    try {
      r = await this.d.claims.reserve(pool, claimBody, observed, null, {
        match: (c) => c.migration?.role === 'target' && c.migration.token === t.token,
        extra: {
          state: 'reserved',
          migration: {
            token: t.token,
            role: 'target',
            expires,
            peer: body.source,
            sourceClaim: t.claim,
            sourceFence: t.fence,
          },
        },
      });
    } catch (err) {
      if (err instanceof DaemonError)
        throw new DaemonError(err.kind, `migration of claim ${t.claim}: ${err.message}`);
      throw err;
    }
    try {
      const fleet = await this.recordMove(r.claim);
      if (fleet) r.why.push(fleet);
    } catch (err) {
      await this.d.claims.drop(r.claim.id);
      throw err;
    }
    if (!r.existing)
      this.audit(
        who,
        r.claim,
        `claim ${r.claim.id} reserved vf ${r.claim.vf} on ${r.claim.pf} with MAC ${r.claim.mac} for claim ${t.claim} of ${body.source} until ${expires}`,
        { pool: pool.name, step: 'reserve', token: t.token, source: t.claim },
      );
    return { claim: r.claim, existing: r.existing, why: r.why };
  }

  /**
   * Fleet mode: the reservation is recorded as the owner moving here (the owner and the MAC
   * stay the source's until its release hands them over), so no third host takes either
   * meanwhile. Answers what was recorded (null: files mode); throws when the fleet refuses.
   */
  private async recordMove(c: Claim): Promise<string | null> {
    const guard = this.d.claims.fleetGuard;
    if (!guard) return null;
    const net = this.d.claims.pool(c.pool).physicalNetwork;
    const out = await guard.reserveMove(c, net).catch((err: Error) => {
      throw new DaemonError(
        'unavailable',
        `migration of claim ${c.migration?.sourceClaim}: the fleet store is unreachable (${err.message}); in fleet mode the reservation is recorded there first: reserve again when it answers`,
      );
    });
    if (!out.ok)
      throw refused(
        `migration of claim ${c.migration?.sourceClaim}: the fleet refuses: ${out.why}`,
      );
    return `recorded fleet-wide as ${c.owner.kind}:${c.owner.id} moving here with MAC ${c.mac} on ${net}`;
  }

  /** Fleet mode: the owner and its MAC are this host's before the reservation turns active. */
  private async checkHandOver(c: Claim, token: string): Promise<void> {
    const guard = this.d.claims.fleetGuard;
    if (!guard) return;
    const out = await guard.commitMove(c).catch((err: Error) => {
      throw new DaemonError(
        'unavailable',
        `migration ${token}: the fleet store is unreachable (${err.message}); nothing committed: commit again when it answers`,
      );
    });
    if (!out.ok) throw refused(`migration ${token}: nothing committed: ${out.why}`);
  }

  /** Fleet mode, best effort: a source back to active has no move left (the sync drops it). */
  private dropMove(c: Claim, token: string): Promise<void> {
    const guard = this.d.claims.fleetGuard;
    if (!guard) return Promise.resolve();
    return guard
      .dropMove(c, token)
      .catch((err: Error) =>
        this.d.log.warn(
          { claim: c.id, err: err.message },
          'fleet move of an aborted migration kept',
        ),
      );
  }

  /** The reservation becomes an active claim; its profile is applied with the MAC. */
  async commitTarget(token: string, who: string): Promise<MigrationTargetCommitResult> {
    const c0 = this.get(token);
    if (c0.state === 'reserved') await this.checkHandOver(c0, token);
    const { claim, existing } = await this.change(c0.id, (c) => {
      if (!c || c.migration?.token !== token) throw this.d.claims.notFoundClaim(c0.id);
      if (c.state === 'active') return { claim: null, value: { claim: c, existing: true } };
      if (c.state !== 'reserved')
        throw refused(`migration ${token}: claim ${c.id} is ${c.state}, nothing committed`);
      if (isExpired(c, this.d.now()))
        throw refused(
          `migration ${token}: the reservation expired at ${c.migration.expires} and is being swept; claim again with --mac ${c.mac}`,
        );
      const n: Claim = { ...c, state: 'active', since: new Date(this.d.now()).toISOString() };
      return { claim: n, value: { claim: n, existing: false } };
    });
    if (existing)
      return { claim, existing, syncState: this.d.claims.answer(claim, true, []).syncState };
    const why: string[] = [];
    const pool = this.d.claims.pool(claim.pool);
    const bound = await this.d.claims.configure(pool, claim, why, who);
    this.audit(
      who,
      bound,
      `claim ${bound.id} active: vf ${bound.vf} on ${bound.pf}, MAC ${bound.mac}, migrated from ${claim.migration?.peer} (claim ${claim.migration?.sourceClaim})${why.length ? `; ${why.join('; ')}` : ''}`,
      { step: 'commit', token },
    );
    const a = this.d.claims.answer(bound, false, why);
    return { claim: a.claim, existing: false, syncState: a.syncState };
  }

  /** Drop the reservation (idempotent); refused once the target committed. */
  async abortTarget(token: string, who: string): Promise<MigrationTargetAbortResult> {
    const c0 = this.byToken(token);
    if (!c0) return { aborted: token, released: null };
    const go = await this.change(c0.id, (c) => {
      if (!c) return { claim: null, value: false };
      if (c.state === 'active')
        throw refused(
          `migration ${token} was committed here (claim ${c.id} is active): migrate the claim back instead`,
        );
      if (c.state === 'releasing') return { claim: null, value: true };
      return { claim: { ...c, state: 'releasing' }, value: true };
    });
    if (!go) return { aborted: token, released: null };
    const released = await this.d.claims.release(c0.id, {
      who,
      reason: `migration ${token} aborted; reservation dropped`,
    });
    return { aborted: token, released };
  }

  // ---- both: expiry (the sweeper calls it) ----

  /**
   * Resolve hand-offs whose driver went away: an expired reservation is released (its VF
   * freed, never activated), an expired source mark turns back to active. Returns how many.
   */
  async expire(now = this.d.now()): Promise<number> {
    let n = 0;
    for (const c of this.d.ledger.view().claims) {
      if (!isExpired(c, now)) continue;
      if (c.state === 'reserved') {
        const go = await this.change(c.id, (x) =>
          x?.state === 'reserved' && isExpired(x, now)
            ? { claim: { ...x, state: 'releasing' as const }, value: true }
            : { claim: null, value: false },
        );
        if (!go) continue;
        await this.d.claims.release(c.id, {
          who: 'sweeper',
          action: 'pool.reclaim',
          reason: `migration reservation expired at ${c.migration?.expires}`,
        });
        this.d.metrics.leaks.inc({ pool: c.pool, reason: 'migration' });
        n++;
      } else if (c.state === 'migrating') {
        const back = await this.change(c.id, (x) => {
          if (x?.state !== 'migrating' || !isExpired(x, now)) return { claim: null, value: null };
          const { migration: _m, ...rest } = x;
          const b: Claim = { ...rest, state: 'active' };
          return { claim: b, value: b };
        });
        if (!back) continue;
        if (c.migration) await this.dropMove(back, c.migration.token);
        this.audit(
          'sweeper',
          back,
          `migration of claim ${c.id} to ${c.migration?.peer} expired at ${c.migration?.expires}: active here again`,
          { claim: c.id, step: 'expire', token: c.migration?.token },
        );
        n++;
      }
    }
    return n;
  }
}
