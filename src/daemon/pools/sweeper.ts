/**
 * The leak sweeper: every `daemon.poolSweepIntervalMs`, a claim whose owner is gone
 * (network namespace deleted, process dead, libvirt domain gone, lease expired) is released, restored, verified
 * and audited like any release, and counted in `nicvisor_pool_leaks_reclaimed_total`.
 * Migration hand-offs past their expiry are resolved first (migration.ts).
 */
import type { Logger } from '../logger.js';
import type { Claims } from './claims.js';
import type { Ledger } from './ledger.js';
import type { PoolMetrics } from './metrics.js';
import type { Migrations } from './migration.js';
import { type OwnerRoots, ownerGone, type VmCheck } from './owners.js';
import type { VmProbe } from './vm-probe.js';

export interface SweeperDeps {
  claims: Claims;
  ledger: Ledger;
  metrics: PoolMetrics;
  roots: OwnerRoots;
  log: Logger;
  /** Expires migration hand-offs whose driver went away. */
  migrations?: Migrations;
  /** Liveness of `vm` owners (null: VM claims end by the libvirt hook or a lease only). */
  vm?: { probe: VmProbe | null; startGraceMs: number };
}

function reasonLabel(why: string): string {
  if (why.startsWith('lease')) return 'lease';
  if (why.startsWith('network namespace')) return 'netns';
  if (why.startsWith('libvirt domain')) return 'vm';
  return 'process';
}

export class Sweeper {
  private readonly d: SweeperDeps;
  private readonly intervalMs: number;
  private readonly graceMs: number;
  /** Claims seen without their namespace, and since when (the grace period runs from it). */
  private readonly goneSince = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private readonly vm: VmCheck | undefined;

  constructor(deps: SweeperDeps, intervalMs: number, graceMs: number) {
    this.d = deps;
    this.intervalMs = intervalMs;
    this.graceMs = graceMs;
    this.vm = deps.vm?.probe
      ? { probe: deps.vm.probe, seen: new Set(), startGraceMs: deps.vm.startGraceMs }
      : undefined;
  }

  start(): void {
    this.timer = setInterval(() => {
      void this.sweep().catch((err) => this.d.log.error({ err }, 'pool sweep failed'));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }

  /** One sweep now; returns how many claims were reclaimed. Sweeps never overlap. */
  sweep(): Promise<number> {
    if (this.running) return this.running;
    this.running = this.once().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async once(): Promise<number> {
    let n = 0;
    const now = Date.now();
    try {
      n += (await this.d.migrations?.expire()) ?? 0;
    } catch (err) {
      this.d.log.error({ err }, 'expiring migration hand-offs failed; retried next sweep');
    }
    const ids = new Set(this.d.ledger.view().claims.map((c) => c.id));
    for (const id of this.vm?.seen ?? []) if (!ids.has(id)) this.vm?.seen.delete(id);
    for (const c of this.d.ledger.view().claims) {
      // A migration source is still the owner's; a reservation has no owner here yet.
      if (c.state !== 'active' && c.state !== 'migrating') continue;
      const why = await ownerGone(c, now, this.d.roots, this.vm);
      if (!why) {
        this.goneSince.delete(c.id);
        continue;
      }
      // A vanished namespace is usually the runtime's CNI DEL on its way: let it clean up
      // first (it also renames the VF's netdev back, which the daemon cannot know).
      if (reasonLabel(why) === 'netns') {
        const since = this.goneSince.get(c.id) ?? now;
        this.goneSince.set(c.id, since);
        if (now - since < this.graceMs) continue;
      }
      this.goneSince.delete(c.id);
      try {
        await this.d.claims.release(c.id, { who: 'sweeper', action: 'pool.reclaim', reason: why });
        this.d.metrics.leaks.inc({ pool: c.pool, reason: reasonLabel(why) });
        n++;
      } catch (err) {
        this.d.log.error(
          { err, claim: c.id },
          'reclaiming a leaked claim failed; retried next sweep',
        );
      }
    }
    return n;
  }
}
