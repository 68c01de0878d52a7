/**
 * Noticing VFs that no longer match their policy: a loop every driftIntervalMs and the
 * driver's events (a PF reset, an `ip link` behind nicvisor's back) compare every VF with
 * what the NIC holds and have the reconciler re-apply those that drifted (counted as
 * repairs when they were in sync at their current revision) or have a pending revision.
 * Every repair is an audit entry naming what had drifted and whether the repair held.
 */
import type { DriverEvent } from '../drivers/driver.js';
import { formatStep, type Plan } from '../model/index.js';
import { plan } from '../policy/plan.js';
import type { AuditLog } from './audit.js';
import type { CountingDriver } from './counting-driver.js';
import type { Logger } from './logger.js';
import type { Reconciler } from './reconciler.js';
import { stepVf } from './step-report.js';
import type { StatusBoard } from './vf-status.js';

export interface DriftDeps {
  driver: CountingDriver;
  reconciler: Reconciler;
  status: StatusBoard;
  audit: AuditLog;
  log: Logger;
}

export class DriftLoop {
  private readonly d: DriftDeps;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | null = null;
  private eventTimer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;

  constructor(deps: DriftDeps, intervalMs: number) {
    this.d = deps;
    this.intervalMs = intervalMs;
  }

  start(): void {
    this.stopped = false;
    this.unsubscribe = this.d.driver.onEvent((e) => this.onDriverEvent(e));
    this.timer = setInterval(() => void this.check('drift loop'), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer) clearInterval(this.timer);
    if (this.eventTimer) clearTimeout(this.eventTimer);
    this.timer = this.eventTimer = null;
    await this.running;
  }

  private onDriverEvent(e: DriverEvent): void {
    this.d.log.info({ event: e }, 'driver event; checking for drift');
    // Coalesce a burst of events (a PF reset reports every VF) into one check.
    if (this.stopped || this.eventTimer) return;
    this.eventTimer = setTimeout(() => {
      this.eventTimer = null;
      void this.check(`driver event ${e.type}`);
    }, 10);
  }

  /** Compare every VF with its policy and repair what drifted; one check at a time. */
  check(reason: string): Promise<void> {
    this.running ??= this.once(reason).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async once(reason: string): Promise<void> {
    if (this.stopped) return;
    const { reconciler, status, log } = this.d;
    try {
      const resized = await reconciler.reconcilePfs(reason);
      const desired = reconciler.desired();
      const observed = await reconciler.observe(new Set(desired.pfs.map((p) => p.id)));
      const p = plan({ pfs: [], vfs: desired.vfs }, observed);
      // A guarded VF in watch mode whose guest set its own MAC is the driver's MAC guard's
      // to decide (kept, or reverted and audited); repairing it here would race that
      // decision and revert a MAC the guard is about to grant.
      const guarded = new Set(desired.vfs.filter((v) => v.settings.macGuard).map((v) => v.name));
      const guards = (s: (typeof p.steps)[number]) =>
        s.kind === 'setVf' && s.field === 'mac' && guarded.has(s.name);
      const off = new Set(
        p.steps
          .filter((s) => !guards(s))
          .map(stepVf)
          .filter((n): n is string => n !== null),
      );
      for (const v of desired.vfs) if (resized.includes(v.pf)) off.add(v.name);
      const drifted: string[] = [];
      const pending: string[] = [];
      for (const v of desired.vfs) {
        if (!off.has(v.name) || reconciler.retrying(v.name)) continue;
        const s = status.get(v.name);
        if (s.syncState === 'in-sync' && s.appliedRevision === v.revision) {
          status.set(v.name, 'drifted');
          drifted.push(v.name);
        } else if (s.syncState !== 'applying') pending.push(v.name);
      }
      if (drifted.length > 0)
        log.warn({ vfs: drifted, reason }, 'VFs drifted from policy; repairing');
      const repaired = new Set(await reconciler.reconcileVfs(drifted, reason, true));
      this.auditRepairs(p, drifted, repaired, reason);
      await reconciler.reconcileVfs(pending, reason);
    } catch (err) {
      log.error({ err, reason }, 'drift check failed; will try again');
    }
  }

  /** One audit entry per repaired VF: the steps that brought it back, and the outcome. */
  private auditRepairs(
    p: Plan,
    drifted: readonly string[],
    repaired: Set<string>,
    reason: string,
  ): void {
    for (const name of drifted) {
      const steps = p.steps.filter((s) => stepVf(s) === name).map(formatStep);
      const ok = repaired.has(name);
      this.d.audit.record({
        who: 'daemon',
        via: 'daemon',
        action: 'drift.repair',
        target: name,
        request: { reason, steps },
        result: ok ? 'ok' : 'failed',
        reason: ok
          ? `drifted from its policy (${reason}); repaired`
          : `drifted from its policy (${reason}); repair failed: ${this.d.status.get(name).lastError ?? 'unknown error'}; retrying`,
      });
    }
  }
}
