/**
 * The driver binding of vfio-pci claims. A claim's VF goes to vfio-pci (the VM's side), and
 * the driver it had is kept in the claim (`boundFrom`) so the release binds it back. That
 * driver is written to the ledger *before* sysfs is touched: a daemon killed between
 * unbinding it and binding vfio-pci leaves a VF with no driver, and the restart (repair)
 * must still know where it came from.
 */
import type { NicDriver } from '../../drivers/driver.js';
import type { Claim, Pool } from '../../model/index.js';
import type { Logger } from '../logger.js';
import type { Ledger } from './ledger.js';

export interface BindingDeps {
  driver: NicDriver;
  ledger: Ledger;
  log: Logger;
}

export class Bindings {
  private readonly d: BindingDeps;

  constructor(deps: BindingDeps) {
    this.d = deps;
  }

  /** Bind a new claim's VF to vfio-pci (vfio-pci pools only); throws when the bind fails. */
  async bindClaim(pool: Pool, claim: Claim, why: string[]): Promise<Claim> {
    if (pool.deviceType !== 'vfio-pci') return claim;
    const bindVf = this.d.driver.bindVf?.bind(this.d.driver);
    if (!bindVf) {
      why.push(
        `deviceType vfio-pci: driver ${this.d.driver.name} has no PCI devices to bind; nothing bound`,
      );
      return claim;
    }
    let c = claim;
    const now = await this.d.driver.vfBinding?.(claim.pf, claim.vf);
    if (now?.driver && now.driver !== 'vfio-pci') c = await this.setBoundFrom(c, now.driver);
    const { previous } = await bindVf(claim.pf, claim.vf, 'vfio-pci');
    why.push(`bound to vfio-pci (was ${previous ?? 'no driver'})`);
    if (!previous || previous === 'vfio-pci' || c.boundFrom) return c;
    return this.setBoundFrom(c, previous);
  }

  /** Record the driver a VF had before vfio-pci (one ledger write). */
  private setBoundFrom(claim: Claim, driver: string): Promise<Claim> {
    return this.d.ledger.update((now) => {
      const c = now.claims.find((x) => x.id === claim.id);
      if (!c) return { claims: null, value: claim };
      if (c.boundFrom === driver) return { claims: null, value: c };
      const next = { ...c, boundFrom: driver };
      return { claims: now.claims.map((x) => (x.id === c.id ? next : x)), value: next };
    });
  }

  /**
   * After a restart: every held claim of a vfio-pci pool must be on vfio-pci. A daemon
   * killed inside a bind (netdev driver unbound, vfio-pci not bound yet) left the VF with no
   * driver; one killed before the bind left it on its netdev driver. Both are bound now; an
   * interrupted release's rebind is finished by the release itself. Returns how many.
   */
  async repair(pools: readonly Pool[]): Promise<number> {
    const binding = this.d.driver.vfBinding?.bind(this.d.driver);
    const bindVf = this.d.driver.bindVf?.bind(this.d.driver);
    if (!binding || !bindVf) return 0;
    const byName = new Map(pools.map((p) => [p.name, p]));
    let n = 0;
    for (const c of [...this.d.ledger.view().claims]) {
      if (byName.get(c.pool)?.deviceType !== 'vfio-pci') continue;
      if (c.state !== 'active' && c.state !== 'migrating') continue;
      try {
        const now = await binding(c.pf, c.vf);
        if (now.driver === 'vfio-pci') continue;
        const had = now.driver && !c.boundFrom ? await this.setBoundFrom(c, now.driver) : c;
        await bindVf(c.pf, c.vf, 'vfio-pci');
        this.d.log.warn(
          { claim: c.id, was: now.driver, boundFrom: had.boundFrom ?? null },
          'vfio-pci binding of a claimed VF repaired after a restart',
        );
        if (!had.boundFrom)
          this.d.log.error(
            { claim: c.id },
            'the VF had no driver and the ledger names none to bind back on release: bind its netdev driver by hand after the release',
          );
        n++;
      } catch (err) {
        this.d.log.error(
          { claim: c.id, err: (err as Error).message },
          'repairing the vfio-pci binding of a claimed VF failed',
        );
      }
    }
    return n;
  }
}
