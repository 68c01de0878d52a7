/**
 * The pools part of the daemon: claims, the leak sweeper, metrics and the views the API
 * serves. Constructed by assemble(); start() recovers claims after a restart and starts the
 * sweeper, stop() stops it.
 */
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { NicDriver } from '../../drivers/driver.js';
import type { Claim, PoolView } from '../../model/index.js';
import { poolSlots } from '../../policy/pools/inventory.js';
import { interfaceXml, LibvirtXmlError, networkXml } from '../../policy/pools/libvirt.js';
import { poolPfs } from '../../policy/pools/members.js';
import type { AuditLog } from '../audit.js';
import { DaemonError } from '../errors.js';
import type { EventBus } from '../events.js';
import type { Logger } from '../logger.js';
import type { Mutations } from '../mutations.js';
import type { Store } from '../store/store.js';
import type { StatusBoard } from '../vf-status.js';
import { Claims } from './claims.js';
import { Ledger } from './ledger.js';
import { PoolMetrics } from './metrics.js';
import { Migrations } from './migration.js';
import type { OwnerRoots } from './owners.js';
import { Sweeper } from './sweeper.js';
import type { VmProbe } from './vm-probe.js';

export interface PoolsDeps {
  stateDir: string;
  store: Store;
  mutations: Mutations;
  driver: NicDriver;
  status: StatusBoard;
  audit: AuditLog;
  /** Claim events for the SSE stream (the dashboard's pools card follows them). */
  bus: EventBus;
  log: Logger;
  registry: Registry;
  sweepIntervalMs: number;
  leakGraceMs: number;
  roots?: OwnerRoots;
  random?: () => number;
  /** Liveness of `vm` owners; null: none. */
  vmProbe?: VmProbe | null;
  vmStartGraceMs?: number;
}

export class Pools {
  readonly ledger: Ledger;
  readonly claims: Claims;
  readonly sweeper: Sweeper;
  readonly migrations: Migrations;
  readonly metrics: PoolMetrics;
  private readonly d: PoolsDeps;

  constructor(d: PoolsDeps) {
    this.d = d;
    const roots = d.roots ?? { proc: '/proc' };
    const log = d.log.child({ component: 'pools' });
    this.ledger = new Ledger(join(d.stateDir, 'claims.json'));
    this.metrics = new PoolMetrics(d.registry, () => this.views());
    this.claims = new Claims({
      ...d,
      log,
      ledger: this.ledger,
      metrics: this.metrics,
      roots,
      random: d.random ?? Math.random,
    });
    this.migrations = new Migrations({
      claims: this.claims,
      ledger: this.ledger,
      store: d.store,
      driver: d.driver,
      audit: d.audit,
      log,
      now: Date.now,
    });
    this.sweeper = new Sweeper(
      {
        claims: this.claims,
        ledger: this.ledger,
        metrics: this.metrics,
        roots,
        log,
        migrations: this.migrations,
        vm: { probe: d.vmProbe ?? null, startGraceMs: d.vmStartGraceMs ?? 600_000 },
      },
      d.sweepIntervalMs,
      d.leakGraceMs,
    );
  }

  /** Load the ledger (before the reconciler runs, so claims count as held). */
  load(): Promise<void> {
    return this.ledger.load();
  }

  /** Bring the VF policies in line with the ledger, then start sweeping. */
  async start(): Promise<void> {
    await this.claims.recover();
    this.sweeper.start();
  }

  stop(): Promise<void> {
    return this.sweeper.stop();
  }

  /** The `<interface>` element of a claim for a libvirt domain. */
  interfaceXml(id: string, peer?: string): string {
    const c = this.claims.get(id);
    return this.xml(() => interfaceXml(c, this.claims.pool(c.pool), peer));
  }

  /** The pool as a libvirt `<network>` (hostdev forwarding over its member VFs). */
  async networkXml(name: string): Promise<string> {
    const pool = this.claims.pool(name);
    const pfs = new Set(poolPfs(pool).map((p) => p.pf));
    const observed = (await this.d.driver.observe()).filter((p) => pfs.has(p.id));
    const addr = new Map(observed.flatMap((p) => p.vfs.map((v) => [`${p.id}#${v.vf}`, v.pciAddr])));
    const members = this.view(name).members.map((m) => ({ pciAddr: addr.get(`${m.pf}#${m.vf}`) }));
    return this.xml(() => networkXml(pool, members));
  }

  private xml(make: () => string): string {
    try {
      return make();
    } catch (err) {
      if (err instanceof LibvirtXmlError) throw new DaemonError('refused', err.message);
      throw err;
    }
  }

  views(): PoolView[] {
    return this.d.store.state().main.pools.map((p) => this.view(p.name));
  }

  view(name: string): PoolView {
    const pool = this.claims.pool(name);
    const state = this.d.store.state();
    const claims = this.ledger.view().claims;
    const byId = new Map<string, Claim>(claims.map((c) => [c.id, c]));
    const slots = poolSlots(pool, state.main, state.policies.values(), claims);
    const members = slots.map((s) => {
      const c = s.holder?.kind === 'claim' ? byId.get(s.holder.claim) : undefined;
      const owner = c
        ? `${c.owner.kind}:${c.owner.id}`
        : s.holder?.kind === 'policy'
          ? s.holder.name
          : null;
      return {
        pf: s.pf,
        vf: s.vf,
        ...(c?.pciAddr ? { pciAddr: c.pciAddr } : {}),
        ...(s.numaNode !== undefined ? { numaNode: s.numaNode } : {}),
        claim: s.holder?.kind === 'claim' ? s.holder.claim : null,
        owner,
      };
    });
    const claimed = slots.filter((s) => s.holder?.kind === 'claim').length;
    return {
      name: pool.name,
      physicalNetwork: pool.physicalNetwork,
      deviceType: pool.deviceType,
      placement: pool.placement,
      migratable: pool.migratable,
      ...(pool.numaNode !== undefined ? { numaNode: pool.numaNode } : {}),
      profile: pool.profile,
      capacity: slots.length,
      claimed,
      free: slots.filter((s) => s.holder === null).length,
      members,
      claims: claims.filter((c) => c.pool === pool.name),
    };
  }
}
