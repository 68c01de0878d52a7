/**
 * What the driver's MAC guard did (guarded trust, watch mode: docs/ha.md) goes to the audit
 * log and the event stream. A kept MAC needs no entry of its own: the daemon's decision was
 * audited as the guest's `setMac` (via `watch`). A reverted one is `guest.mac.reverted`,
 * naming the VF, the MAC the guest set, the MAC put back and why; a revert the kernel
 * refused is the same entry with result `failed`, and the VF's policy is re-applied.
 */
import type { DriverEvent, NicDriver } from '../drivers/driver.js';
import type { AuditLog } from './audit.js';
import type { Logger } from './logger.js';
import type { Store } from './store/store.js';

type GuardEvent = Extract<DriverEvent, { type: 'macGuard' }>;

export class MacGuardEvents {
  private unsubscribe: (() => void) | null = null;
  readonly counts = { kept: 0, reverted: 0, revertFailed: 0 };

  constructor(
    private readonly driver: Pick<NicDriver, 'onEvent'>,
    private readonly store: Pick<Store, 'state'>,
    private readonly audit: AuditLog,
    private readonly log: Logger,
    /** Re-apply a VF's policy (the drift loop leaves a guarded VF's MAC to the guard). */
    private readonly repair: (name: string) => Promise<unknown> = async () => {},
  ) {}

  start(): void {
    this.unsubscribe ??= this.driver.onEvent((e) => {
      if (e.type === 'macGuard') this.onGuard(e);
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private nameAt(pf: string, vf: number): string {
    for (const p of this.store.state().policies.values())
      if (p.pf === pf && p.vf === vf) return p.name;
    return `${pf}#${vf}`;
  }

  private onGuard(e: GuardEvent): void {
    this.counts[e.action] += 1;
    if (e.action === 'kept') return;
    const name = this.nameAt(e.pf, e.vf);
    const ok = e.action === 'reverted';
    const ms = e.ms.toFixed(1);
    const reason = ok
      ? `the guest of ${name} (vf ${e.vf} on ${e.pf}) set MAC ${e.mac}, refused: ${e.reason}; reverted to ${e.held} ${ms} ms after it was seen`
      : `the guest of ${name} (vf ${e.vf} on ${e.pf}) set MAC ${e.mac}, refused, and the revert failed: ${e.reason}`;
    if (ok) this.log.warn({ vf: name, mac: e.mac, held: e.held, ms: e.ms }, 'guest MAC reverted');
    else {
      this.log.error({ vf: name, mac: e.mac, held: e.held }, 'guest MAC revert failed');
      this.repair(name).catch((err) =>
        this.log.error({ err, vf: name }, 'repairing after a failed MAC revert failed'),
      );
    }
    this.audit.record({
      who: `guest:${name}`,
      via: 'watch',
      action: 'guest.mac.reverted',
      target: name,
      request: { pf: e.pf, vf: e.vf, seen: e.mac, restored: e.held },
      result: ok ? 'ok' : 'failed',
      reason,
    });
  }
}
