/**
 * Claims: hand a VF of a pool to an owner and take it back. The ledger reserves the VF
 * first (durably, under its mutex and a revision check), then the pool's profile becomes
 * the VF's policy through the store's one commit path and the reconciler; the answer comes
 * once the VF is configured. A release deletes that policy (the driver restores its
 * take-over snapshot), reads the VF back against what it was before the claim, and only
 * then drops the claim, so a VF is never free in the ledger while it still carries a
 * claim's settings.
 */
import { performance } from 'node:perf_hooks';
import type { NicDriver } from '../../drivers/driver.js';
import {
  type Claim,
  type ClaimBaseline,
  type ClaimBody,
  type ClaimResult,
  type ObservedPf,
  type Pool,
  type ReleaseResult,
  ValidationError,
  vfKey,
} from '../../model/index.js';
import { macsInUse, networkPfs, poolSlots } from '../../policy/pools/inventory.js';
import { chooseMac } from '../../policy/pools/macs.js';
import { claimPolicyName, poolPfs } from '../../policy/pools/members.js';
import { place } from '../../policy/pools/placement.js';
import { claimPolicy } from '../../policy/pools/profile.js';
import type { AuditLog } from '../audit.js';
import { DaemonError } from '../errors.js';
import type { EventBus } from '../events.js';
import type { Logger } from '../logger.js';
import type { Mutations } from '../mutations.js';
import type { Store } from '../store/store.js';
import type { StatusBoard } from '../vf-status.js';
import { Bindings } from './binding.js';
import type { Ledger } from './ledger.js';
import type { PoolMetrics } from './metrics.js';
import { type OwnerRoots, processStart } from './owners.js';

export interface ClaimDeps {
  store: Store;
  mutations: Mutations;
  driver: NicDriver;
  status: StatusBoard;
  audit: AuditLog;
  bus: EventBus;
  log: Logger;
  ledger: Ledger;
  metrics: PoolMetrics;
  roots: OwnerRoots;
  /** [0, 1); Math.random unless a test pins it. */
  random: () => number;
}

/**
 * Fleet mode: the fleet store's word on every claim, so the cross-host rules hold — an
 * owner's claims are all on one host, and a MAC is held once per physical network. The
 * fleet agent sets it; without it (files mode) the ledger alone decides.
 */
export interface ClaimGuard {
  /** MACs other hosts hold on `network` (never chosen here). */
  heldElsewhere(network: string): Promise<Set<string>>;
  /** Record the claim fleet-wide; refused: why, naming the other host. */
  record(
    c: Claim,
    network: string,
  ): Promise<{ ok: true } | { ok: false; mac: boolean; why: string }>;
  /**
   * Remove the claim's fleet-wide record (its owner entry and its MAC). A migration's source
   * claim hands both to the target instead; a target's reservation drops its move.
   */
  forget(c: Claim): Promise<void>;
  /**
   * A migration's target reservation (`reserved`, role target) recorded fleet-wide as the
   * same owner moving: refused when the owner or the MAC is not the source's to give.
   */
  reserveMove(c: Claim, network: string): Promise<{ ok: true } | { ok: false; why: string }>;
  /** Before a reservation turns active: the owner and its MAC were handed to this host. */
  commitMove(c: Claim): Promise<{ ok: true } | { ok: false; why: string }>;
  /** The source's mark went back to active (abort, expiry): the pending move is dropped. */
  dropMove(c: Claim, token: string): Promise<void>;
}

/**
 * Claims lost to another host on a MAC before the claim gives up. Hosts sharing a range all
 * go for its first free MAC; each race has a winner and the losers read the held MACs
 * again, so N hosts claiming at once settle within N races (the bench runs 10).
 */
const MAC_RACES = 32;

export function baselineOf(pf: ObservedPf | undefined, vf: number): ClaimBaseline | undefined {
  const v = pf?.vfs.find((x) => x.vf === vf);
  if (!v) return undefined;
  const s = v.settings;
  return {
    mac: s.mac,
    vlans: s.vlans,
    trust: s.trust,
    macAntiSpoof: s.macAntiSpoof,
    linkState: s.linkState,
    maxTxRate: s.maxTxRate,
  };
}

/** The fields that did not read back as they were before the claim. */
export function baselineDiff(before: ClaimBaseline, after: ClaimBaseline | undefined): string[] {
  if (!after) return ['the VF is gone'];
  return (Object.keys(before) as (keyof ClaimBaseline)[])
    .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]))
    .map((k) => `${k}: ${JSON.stringify(after[k])}, was ${JSON.stringify(before[k])}`);
}

const ownerLabel = (c: Pick<Claim, 'owner'>) => `${c.owner.kind}:${c.owner.id}`;

export class Claims {
  private readonly d: ClaimDeps;
  /** Releases in flight by claim id: a second release of one claim joins the first. */
  private readonly releasing = new Map<string, Promise<ReleaseResult>>();
  private guard: ClaimGuard | null = null;

  private readonly bindings: Bindings;

  constructor(deps: ClaimDeps) {
    this.d = deps;
    this.bindings = new Bindings(deps);
  }

  /** Fleet mode on (the agent's guard) or off (null). */
  setGuard(g: ClaimGuard | null): void {
    this.guard = g;
  }

  /** The guard in use (null: files mode). */
  get fleetGuard(): ClaimGuard | null {
    return this.guard;
  }

  pool(name: string): Pool {
    const pool = this.d.store.state().main.pools.find((p) => p.name === name);
    if (!pool) {
      const known = this.d.store
        .state()
        .main.pools.map((p) => p.name)
        .join(', ');
      throw new DaemonError(
        'notFound',
        `pool ${JSON.stringify(name)} does not exist (pools: ${known || 'none'}): add it to pools[] of the main config`,
      );
    }
    return pool;
  }

  get(id: string): Claim {
    const c = this.d.ledger.view().claims.find((x) => x.id === id);
    if (!c)
      throw new DaemonError(
        'notFound',
        `claim ${JSON.stringify(id)} does not exist: list claims with \`nicvisor pool show POOL\``,
      );
    return c;
  }

  private findExisting(
    pool: string,
    body: ClaimBody,
    claims = this.d.ledger.view().claims,
  ): Claim | undefined {
    return claims.find(
      (c) =>
        c.pool === pool &&
        (c.state === 'active' || c.state === 'migrating') &&
        c.owner.kind === body.owner.kind &&
        c.owner.id === body.owner.id &&
        c.ifname === body.ifname,
    );
  }

  /** The owner's process, for a `process` owner or an explicit pid. */
  private async ownerProcess(body: ClaimBody): Promise<{ pid: number; pidStart: string } | null> {
    const pid = body.pid ?? (body.owner.kind === 'process' ? Number(body.owner.id) : undefined);
    if (pid === undefined) return null;
    if (!Number.isInteger(pid) || pid < 1)
      throw new DaemonError(
        'invalid',
        `owner process:${body.owner.id}: a process owner's id is its pid (a positive integer), or pass pid`,
      );
    const start = await processStart(this.d.roots, pid);
    if (start === null)
      throw new DaemonError(
        'refused',
        `owner process ${pid} does not exist: claim for a running process (its VF would be reclaimed at once)`,
      );
    return { pid, pidStart: start };
  }

  /** Claim a VF of `poolName` for the body's owner (idempotent per owner + ifname). */
  async claim(poolName: string, body: ClaimBody, who: string): Promise<ClaimResult> {
    const t0 = performance.now();
    const pool = this.pool(poolName);
    const had = this.findExisting(pool.name, body);
    if (had) return this.answer(had, true, ['the owner already holds this claim (retry)']);
    const proc = await this.ownerProcess(body);
    const pfs = networkPfs(pool, this.d.store.state().main.pools);
    const observed = (await this.d.driver.observe()).filter((p) => pfs.has(p.id));
    const reserved = await this.reserveFleetWide(pool, body, observed, proc);
    if (reserved.existing)
      return this.answer(reserved.claim, true, ['the owner already holds this claim (retry)']);
    const { claim, why } = reserved;
    const bound = await this.configure(pool, claim, why, who);
    this.d.audit.record({
      who,
      via: 'api',
      action: 'pool.claim',
      target: claim.policy,
      request: { pool: pool.name, ...body },
      result: 'ok',
      reason: `claim ${claim.id}: vf ${claim.vf} on ${claim.pf} to ${ownerLabel(claim)}, MAC ${claim.mac}; ${why.join('; ')}`,
    });
    this.d.metrics.claimSeconds.observe({ pool: pool.name }, (performance.now() - t0) / 1000);
    return this.answer(bound, false, why);
  }

  /**
   * Apply the pool's profile to a claim the ledger holds (a new claim, or a migration
   * reservation being committed) and bind its driver; on failure nothing stays: the policy is
   * withdrawn and the claim dropped.
   */
  async configure(pool: Pool, claim: Claim, why: string[], who: string): Promise<Claim> {
    const policy = claimPolicy(pool, claim.policy, claim.pf, claim.vf, claim.mac);
    try {
      await this.d.mutations.putVf(policy, who);
    } catch (err) {
      // Refused before anything was written, or failed after: either way nothing stays.
      await this.withdrawPolicy(claim.policy);
      await this.drop(claim.id);
      this.d.metrics.refusals.inc({ pool: pool.name });
      const detail = err instanceof Error ? err.message : String(err);
      const problems = err instanceof DaemonError ? err.problems : undefined;
      throw new DaemonError(
        'refused',
        `pool ${pool.name}: the profile does not fit vf ${claim.vf} on ${claim.pf}, claim withdrawn: ${detail}`,
        problems,
      );
    }
    if (!this.d.ledger.view().claims.some((c) => c.id === claim.id)) {
      // Released meanwhile (the sweeper found its owner gone): its policy must not stay.
      await this.withdrawPolicy(claim.policy);
      throw new DaemonError(
        'refused',
        `claim ${claim.id} was released while it was being made (its owner is gone); claim again`,
      );
    }
    const bound = await this.bind(pool, claim, why);
    this.emit(bound, 'claimed');
    return bound;
  }

  /**
   * Reserve in the ledger, then (fleet mode) record the claim in the fleet store. Lost to
   * another host on a MAC the caller did not ask for, the claim takes the next free one;
   * lost on its owner (held on another host), or the store unreachable, it is withdrawn
   * and refused, naming why: nothing stays half-made.
   */
  private async reserveFleetWide(
    pool: Pool,
    body: ClaimBody,
    observed: ObservedPf[],
    proc: { pid: number; pidStart: string } | null,
  ): Promise<{ claim: Claim; why: string[]; existing: boolean }> {
    const guard = this.guard;
    if (!guard) return this.reserve(pool, body, observed, proc);
    const net = pool.physicalNetwork;
    const unreachable = (err: unknown) => {
      this.d.metrics.refusals.inc({ pool: pool.name });
      return new DaemonError(
        'unavailable',
        `pool ${pool.name}: no claim for ${ownerLabel(body)}: the fleet store is unreachable (${(err as Error).message}); in fleet mode a claim is recorded there first (an owner on one host, a MAC once per physical network ${net}): claim again when it answers`,
      );
    };
    let avoid: Set<string>;
    try {
      avoid = await guard.heldElsewhere(net);
    } catch (err) {
      throw unreachable(err);
    }
    for (let race = 0; ; race++) {
      const r = await this.reserve(pool, body, observed, proc, { avoid });
      if (r.existing) return r;
      let out: Awaited<ReturnType<ClaimGuard['record']>>;
      try {
        out = await guard.record(r.claim, net);
      } catch (err) {
        await this.drop(r.claim.id);
        throw unreachable(err);
      }
      if (out.ok) {
        r.why.push(
          `recorded fleet-wide (owner on this host only, MAC ${r.claim.mac} once on ${net})`,
        );
        return r;
      }
      await this.drop(r.claim.id);
      if (out.mac && body.mac === undefined && race < MAC_RACES) {
        // Every MAC taken meanwhile, not only the one lost: the next try is a fresh choice.
        try {
          avoid = await guard.heldElsewhere(net);
        } catch (err) {
          throw unreachable(err);
        }
        avoid.add(r.claim.mac);
        continue;
      }
      this.d.metrics.refusals.inc({ pool: pool.name });
      throw new DaemonError(
        'refused',
        `pool ${pool.name}: no VF for ${ownerLabel(body)}: ${out.why}`,
      );
    }
  }

  /**
   * A vfio-pci pool's VF goes to vfio-pci (binding.ts); a failed bind withdraws the claim.
   */
  private async bind(pool: Pool, claim: Claim, why: string[]): Promise<Claim> {
    try {
      return await this.bindings.bindClaim(pool, claim, why);
    } catch (err) {
      await this.release(claim.id, { who: 'daemon', reason: 'binding vfio-pci failed' }).catch(
        () => {},
      );
      throw new DaemonError(
        'refused',
        `pool ${pool.name}: binding vf ${claim.vf} on ${claim.pf} to vfio-pci failed, claim withdrawn: ${(err as Error).message}`,
      );
    }
  }

  private async withdrawPolicy(name: string): Promise<void> {
    if (this.d.store.state().policies.has(name))
      await this.d.mutations
        .deleteVf(name, 'daemon')
        .catch((err: Error) =>
          this.d.log.error(
            { policy: name, err: err.message },
            'withdrawing a claim policy failed; removed at the next start',
          ),
        );
  }

  answer(claim: Claim, existing: boolean, why: string[]): ClaimResult {
    return { claim, existing, why, syncState: this.d.status.get(claim.policy).syncState };
  }

  /**
   * Decide and write the claim in one step under the ledger's mutex, on its current
   * revision: no other claim can take the VF or the MAC between the decision and the write.
   * (Deciding outside the lock and retrying on a moved revision starved under contention:
   * with ten concurrent claimers every retry found the ledger moved again; the property
   * test in test/reliability/pools-crash.test.ts caught it.)
   */
  reserve(
    pool: Pool,
    body: ClaimBody,
    observed: ObservedPf[],
    proc: { pid: number; pidStart: string } | null,
    opts: {
      extra?: Partial<Claim>;
      match?: (c: Claim) => boolean;
      /** MACs other hosts hold (fleet mode): never chosen. */
      avoid?: ReadonlySet<string>;
    } = {},
  ): Promise<{ claim: Claim; why: string[]; existing: boolean }> {
    return this.d.ledger.update<{ claim: Claim; why: string[]; existing: boolean }>(
      (now, fence) => {
        // Checked again under the lock: two retries of one owner racing get one claim.
        const had = opts.match
          ? now.claims.find(opts.match)
          : this.findExisting(pool.name, body, now.claims);
        if (had) return { claims: null, value: { claim: had, why: [], existing: true } };
        const d = this.decide(pool, body, observed, now.claims, proc, fence, opts.avoid);
        const claim = { ...d.claim, ...opts.extra };
        return { claims: [...now.claims, claim], value: { claim, why: d.why, existing: false } };
      },
    );
  }

  private decide(
    pool: Pool,
    body: ClaimBody,
    observed: ObservedPf[],
    claims: readonly Claim[],
    proc: { pid: number; pidStart: string } | null,
    fence: () => number,
    avoid: ReadonlySet<string> = new Set(),
  ): { claim: Claim; why: string[] } {
    const state = this.d.store.state();
    const policies = [...state.policies.values()];
    const slots = poolSlots(pool, state.main, policies, claims);
    const p = place(pool, slots, claims, body);
    const refuse = (why: string[]) => {
      this.d.metrics.refusals.inc({ pool: pool.name });
      return new DaemonError(
        'refused',
        `pool ${pool.name}: no VF for ${ownerLabel(body)}: ${why.join('; ')}`,
      );
    };
    if (!p.ok) throw refuse(p.why);
    const inUse = macsInUse(networkPfs(pool, state.main.pools), policies, claims, observed, p);
    for (const m of avoid) inUse.add(m);
    const mac = chooseMac(pool.profile.mac, inUse, this.d.random, body.mac);
    if (!mac.ok) throw refuse([...p.why, mac.why]);
    const n = fence();
    const id = `${pool.name}-${n}`;
    const pf = observed.find((x) => x.id === p.pf);
    const vf = pf?.vfs.find((x) => x.vf === p.vf);
    const nowMs = Date.now();
    const claim: Claim = {
      id,
      pool: pool.name,
      pf: p.pf,
      vf: p.vf,
      ...(vf?.pciAddr ? { pciAddr: vf.pciAddr } : {}),
      ...(vf?.netdev ? { netdev: vf.netdev } : {}),
      owner: body.owner,
      ...(body.ifname ? { ifname: body.ifname } : {}),
      mac: mac.mac,
      since: new Date(nowMs).toISOString(),
      fence: n,
      policy: claimPolicyName(id),
      ...(body.group ? { group: body.group } : {}),
      ...(p.numaNode !== undefined ? { numaNode: p.numaNode } : {}),
      ...(body.netns ? { netns: body.netns } : {}),
      ...(proc ? proc : {}),
      ...(body.leaseSeconds
        ? {
            leaseSeconds: body.leaseSeconds,
            leaseExpires: new Date(nowMs + body.leaseSeconds * 1000).toISOString(),
          }
        : {}),
      state: 'active',
      ...(baselineOf(pf, p.vf) ? { baseline: baselineOf(pf, p.vf)! } : {}),
    };
    return { claim, why: [...p.why, mac.why] };
  }

  /** Remove a claim from the ledger (nothing else). */
  drop(id: string): Promise<void> {
    return this.d.ledger.update((now) => ({
      claims: now.claims.filter((c) => c.id !== id),
      value: undefined,
    }));
  }

  private mark(id: string, state: Claim['state']): Promise<Claim | null> {
    return this.d.ledger.update((now) => {
      const c = now.claims.find((x) => x.id === id);
      if (!c) return { claims: null, value: null };
      if (c.state === state) return { claims: null, value: c };
      const next = { ...c, state };
      return { claims: now.claims.map((x) => (x.id === id ? next : x)), value: next };
    });
  }

  /**
   * Give a claim's VF back. With `fence`, a release naming another fence token than the
   * claim's is refused (a late release of a previous owner, sriov-cni#219, never undoes the
   * next owner's claim).
   */
  async release(
    id: string,
    opts: {
      fence?: number;
      who: string;
      action?: 'pool.release' | 'pool.reclaim';
      reason?: string;
    },
  ): Promise<ReleaseResult> {
    const c = this.get(id);
    if (opts.fence !== undefined && opts.fence !== c.fence)
      throw new DaemonError(
        'refused',
        `claim ${id}: fence token ${opts.fence} is stale (the claim's is ${c.fence}); this release comes from an earlier owner and was ignored`,
      );
    const running = this.releasing.get(id);
    if (running) return running;
    const p = this.doRelease(c, opts).finally(() => this.releasing.delete(id));
    this.releasing.set(id, p);
    return p;
  }

  private async doRelease(
    c: Claim,
    opts: { who: string; action?: 'pool.release' | 'pool.reclaim'; reason?: string },
  ): Promise<ReleaseResult> {
    await this.mark(c.id, 'releasing');
    const bindVf = this.d.driver.bindVf?.bind(this.d.driver);
    if (c.boundFrom && bindVf) await bindVf(c.pf, c.vf, c.boundFrom);
    if (this.d.store.state().policies.has(c.policy))
      await this.d.mutations.deleteVf(c.policy, opts.who);
    const [pf] = await this.d.driver.observe({ pf: c.pf });
    const differences = c.baseline ? baselineDiff(c.baseline, baselineOf(pf, c.vf)) : [];
    const verified = differences.length === 0;
    if (!verified) {
      this.d.metrics.unverified.inc({ pool: c.pool });
      this.d.log.error(
        { claim: c.id, differences },
        'released VF does not read back as before its claim',
      );
    }
    await this.drop(c.id);
    // Best effort: a record left behind (the store unreachable) is removed when the fleet
    // agent next compares the ledger with the store.
    await this.guard
      ?.forget(c)
      .catch((err: Error) =>
        this.d.log.warn({ claim: c.id, err: err.message }, 'fleet record of a released claim kept'),
      );
    this.d.audit.record({
      who: opts.who,
      via: opts.action === 'pool.reclaim' ? 'daemon' : 'api',
      action: opts.action ?? 'pool.release',
      target: c.policy,
      request: { claim: c.id },
      result: 'ok',
      reason:
        `claim ${c.id} of ${ownerLabel(c)} released (vf ${c.vf} on ${c.pf})` +
        (opts.reason ? `: ${opts.reason}` : '') +
        (verified
          ? '; VF restored and verified'
          : `; VF differs after restore: ${differences.join(', ')}`),
    });
    this.emit(c, 'released');
    return { released: c.id, verified, differences };
  }

  private emit(c: Claim, change: 'claimed' | 'released' | 'renewed'): void {
    this.d.bus.emit({ type: 'claim', pool: c.pool, claim: c.id, change, owner: ownerLabel(c) });
  }

  /** Release every claim of an owner (CNI DEL by container id, libvirt port-deleted). */
  async releaseOwner(
    kind: Claim['owner']['kind'],
    id: string,
    ifname: string | undefined,
    who: string,
    pool?: string,
  ): Promise<ReleaseResult[]> {
    const mine = this.d.ledger
      .view()
      .claims.filter(
        (c) =>
          c.owner.kind === kind &&
          c.owner.id === id &&
          (ifname === undefined || c.ifname === ifname) &&
          (pool === undefined || c.pool === pool),
      );
    const out: ReleaseResult[] = [];
    for (const c of mine) out.push(await this.release(c.id, { who }));
    return out;
  }

  /** Extend a claim's lease by its length. */
  async renew(id: string, fence: number | undefined, who: string): Promise<Claim> {
    const next = await this.d.ledger.update((now) => {
      const c = now.claims.find((x) => x.id === id);
      if (!c) throw this.notFoundClaim(id);
      if (fence !== undefined && fence !== c.fence)
        throw new DaemonError(
          'refused',
          `claim ${id}: fence token ${fence} is stale (the claim's is ${c.fence})`,
        );
      if (!c.leaseSeconds) return { claims: null, value: c };
      const n = { ...c, leaseExpires: new Date(Date.now() + c.leaseSeconds * 1000).toISOString() };
      return { claims: now.claims.map((x) => (x.id === id ? n : x)), value: n };
    });
    if (next.leaseExpires)
      this.d.audit.record({
        who,
        via: 'api',
        action: 'pool.renew',
        target: next.policy,
        request: { claim: id },
        result: 'ok',
        reason: `lease of claim ${id} renewed until ${next.leaseExpires}`,
      });
    if (next.leaseExpires) this.emit(next, 'renewed');
    return next;
  }

  notFoundClaim(id: string): DaemonError {
    return new DaemonError('notFound', `claim ${JSON.stringify(id)} does not exist`);
  }

  /**
   * After a restart, make the VF policies agree with the ledger: finish interrupted
   * releases, re-apply claims whose policy was not written yet (the ledger reserves first),
   * release claims of pools that no longer exist, and delete claim policies the ledger does
   * not know (a crash while a refused claim was withdrawn).
   */
  async recover(): Promise<{ finished: number; reapplied: number; orphans: number }> {
    const who = 'daemon';
    let finished = 0;
    let reapplied = 0;
    const state = () => this.d.store.state();
    for (const c of [...this.d.ledger.view().claims]) {
      const pool = state().main.pools.find((p) => p.name === c.pool);
      if (c.state === 'releasing' || !pool) {
        await this.release(c.id, {
          who,
          action: 'pool.reclaim',
          reason: pool
            ? 'release interrupted by a restart'
            : `pool ${c.pool} was removed from the configuration`,
        });
        finished++;
        continue;
      }
      // A migration reservation has nothing applied until its commit (the sweeper expires it).
      if (c.state === 'reserved' || state().policies.has(c.policy)) continue;
      try {
        await this.d.mutations.putVf(claimPolicy(pool, c.policy, c.pf, c.vf, c.mac), who);
        reapplied++;
      } catch (err) {
        if (!(err instanceof DaemonError || err instanceof ValidationError)) throw err;
        this.d.log.error(
          { claim: c.id, err: err.message },
          'claim no longer fits its VF; released',
        );
        await this.release(c.id, { who, action: 'pool.reclaim', reason: err.message });
        finished++;
      }
    }
    const rebound = await this.bindings.repair(this.d.store.state().main.pools);
    const known = new Set(this.d.ledger.view().claims.map((c) => c.policy));
    const members = new Set(state().main.pools.flatMap((p) => poolPfs(p).map((x) => x.pf)));
    const orphans = [...state().policies.values()].filter(
      (p) => /^claim-/.test(p.name) && !known.has(p.name) && members.has(p.pf),
    );
    for (const p of orphans) await this.d.mutations.deleteVf(p.name, who);
    if (finished + reapplied + orphans.length + rebound > 0)
      this.d.log.warn(
        { finished, reapplied, rebound, orphans: orphans.map((p) => p.name) },
        'claims recovered after a restart',
      );
    return { finished, reapplied, orphans: orphans.length };
  }

  /** The slot key of every claim (for views). */
  claimedSlots(): Map<string, Claim> {
    return new Map(this.d.ledger.view().claims.map((c) => [vfKey(c.pf, c.vf), c]));
  }
}
