/**
 * Desired state → plan → driver.apply → observe → plan again, until the plan is empty
 * (bounded rounds). One owner per VF at a time (KeyedLock); the revision is stamped from
 * the desired state read before applying (STYLE.md #8). A drift loop and driver events
 * notice VFs that no longer match and re-apply them; failed VFs are retried with backoff
 * while other VFs are left alone.
 */
import type { DriverEvent } from '../drivers/driver.js';
import {
  formatStep,
  type ObservedPf,
  type Plan,
  type PlanStep,
  type StepOutcome,
} from '../model/index.js';
import { type DesiredState, desiredState } from '../policy/desired.js';
import { plan } from '../policy/plan.js';
import type { CountingDriver } from './counting-driver.js';
import { eswitchFailures, eswitchOwners, planSummary } from './eswitch-outcomes.js';
import type { Logger } from './logger.js';
import type { KeyedLock } from './mutex.js';
import { Retries } from './retries.js';
import type { Store, StoreState } from './store.js';
import type { StatusBoard } from './vf-status.js';

export interface ReconcilerOptions {
  driftIntervalMs: number;
  /** Rounds of apply → observe → plan before a VF is declared failed. */
  maxRounds?: number;
  /** Told how long each VF batch took (the metrics' reconcile duration histogram). */
  onReconciled?: (seconds: number) => void;
}

export const vfLockKey = (name: string) => `vf:${name}`;
const pfLockKey = (pf: string) => `pf:${pf}`;

function stepVf(step: PlanStep): string | null {
  return step.kind === 'setVf' || step.kind === 'setMirror' ? step.name : null;
}

/** Whether a plan changes anything at all (steps or eswitch rules). */
function isEmpty(p: Plan): boolean {
  return p.steps.length === 0 && (p.eswitch ?? []).length === 0;
}

/** What a step changes, for "applied: …" lists (`mtu→1400`, `mirror→none`). */
function stepField(step: PlanStep): string {
  if (step.kind === 'setVf') return `${step.field}→${JSON.stringify(step.to)}`;
  return step.kind === 'setMirror' ? `mirror→${JSON.stringify(step.to)}` : step.kind;
}

/**
 * The error of each VF whose apply failed, saying which of its steps were applied and which
 * were not: a multi-step change that fails half way leaves the VF half configured, and the
 * status must say so rather than just naming the failed step.
 */
function failuresByVf(outcomes: readonly StepOutcome[]): Map<string, string> {
  const byVf = new Map<string, StepOutcome[]>();
  for (const o of outcomes) {
    const n = stepVf(o.step);
    if (n) byVf.set(n, [...(byVf.get(n) ?? []), o]);
  }
  const out = new Map<string, string>();
  for (const [name, os] of byVf) {
    const bad = os.find((o) => o.status !== 'done');
    if (!bad) continue;
    const done = os.filter((o) => o.status === 'done').map((o) => stepField(o.step));
    const notDone = os.filter((o) => o.status !== 'done').map((o) => stepField(o.step));
    out.set(
      name,
      `${formatStep(bad.step)}: ${bad.error} (applied: ${done.join(', ') || 'nothing'}; not applied: ${notDone.join(', ')})`,
    );
  }
  return out;
}

export class Reconciler {
  private readonly driver: CountingDriver;
  private readonly store: Store;
  private readonly locks: KeyedLock;
  private readonly status: StatusBoard;
  private readonly log: Logger;
  private readonly opts: Required<ReconcilerOptions>;
  private readonly retries: Retries;
  private readonly desiredMemo = new WeakMap<StoreState, DesiredState>();
  private readonly observed = new Map<string, ObservedPf>();
  private driftTimer: NodeJS.Timeout | null = null;
  private eventTimer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private drift: Promise<void> | null = null;
  private stopped = true;
  reconciles = 0;

  constructor(
    driver: CountingDriver,
    store: Store,
    locks: KeyedLock,
    status: StatusBoard,
    log: Logger,
    opts: ReconcilerOptions,
  ) {
    this.driver = driver;
    this.store = store;
    this.locks = locks;
    this.status = status;
    this.log = log;
    this.opts = { maxRounds: 4, onReconciled: () => {}, ...opts };
    this.retries = new Retries((names) => {
      this.reconcileVfs(names, 'retry').catch((err) => {
        this.log.error({ err, vfs: names }, 'retry failed to start; trying again');
        for (const n of names) this.retries.failed(n);
      });
    });
  }

  start(): void {
    this.stopped = false;
    this.unsubscribe = this.driver.onEvent((e) => this.onDriverEvent(e));
    this.driftTimer = setInterval(
      () => void this.checkDrift('drift loop'),
      this.opts.driftIntervalMs,
    );
    this.driftTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.driftTimer) clearInterval(this.driftTimer);
    if (this.eventTimer) clearTimeout(this.eventTimer);
    this.driftTimer = this.eventTimer = null;
    this.retries.stop();
    await this.drift;
  }

  private onDriverEvent(e: DriverEvent): void {
    this.log.info({ event: e }, 'driver event; checking for drift');
    // Coalesce a burst of events (a PF reset reports every VF) into one check.
    if (this.stopped || this.eventTimer) return;
    this.eventTimer = setTimeout(() => {
      this.eventTimer = null;
      void this.checkDrift(`driver event ${e.type}`);
    }, 10);
  }

  desired(state = this.store.state()): DesiredState {
    let d = this.desiredMemo.get(state);
    if (!d) {
      d = desiredState(state.main, [...state.policies.values()], state.guests, state.revisions);
      this.desiredMemo.set(state, d);
    }
    return d;
  }

  /** Last observation of a PF (updated by every reconcile and drift check). */
  observedPf(pf: string): ObservedPf | undefined {
    return this.observed.get(pf);
  }

  private async observe(pfs: ReadonlySet<string>): Promise<ObservedPf[]> {
    const got =
      pfs.size === 1
        ? await this.driver.observe({ pf: [...pfs][0] })
        : (await this.driver.observe()).filter((p) => pfs.has(p.id));
    for (const p of got) this.observed.set(p.id, p);
    return got;
  }

  /** Bring every PF, then every VF, to its policy. */
  async reconcileAll(reason: string): Promise<void> {
    await this.reconcilePfs(reason);
    await this.reconcileVfs([...this.store.state().policies.keys()], reason);
  }

  /** PF-level settings (numVfs, MTU, loopback, traffic classes, eswitch mode). */
  async reconcilePfs(reason: string): Promise<string[]> {
    const pfs = this.desired().pfs;
    const changed: string[] = [];
    await this.locks.run(
      pfs.map((p) => pfLockKey(p.id)),
      async () => {
        for (let round = 0; round < this.opts.maxRounds; round++) {
          const { pfs, eswitch } = this.desired();
          const p = plan(
            { pfs, vfs: [], eswitch },
            await this.observe(new Set(pfs.map((x) => x.id))),
          );
          if (isEmpty(p)) return;
          this.log.info({ reason, steps: planSummary(p) }, 'applying PF policy');
          const result = await this.driver.apply(p);
          for (const o of result.outcomes) {
            if (o.status !== 'done')
              this.log.error({ step: formatStep(o.step), error: o.error }, 'PF step failed');
            else changed.push(o.step.pf);
          }
          for (const [who, error] of eswitchFailures(result, null))
            this.log.error({ owner: who, error }, 'eswitch rule failed');
        }
      },
    );
    return [...new Set(changed)];
  }

  /** Bring the named VFs to their policy; returns the names that ended in sync. */
  async reconcileVfs(names: readonly string[], reason: string, repair = false): Promise<string[]> {
    if (names.length === 0) return [];
    this.reconciles += 1;
    // Rules of a switchdev PF are shared by its VFs: one reconcile per PF at a time.
    const d = this.desired();
    const shared = new Set(d.vfs.filter((v) => names.includes(v.name)).map((v) => v.pf));
    const pfKeys = (d.eswitch ?? [])
      .filter((s) => shared.has(s.pf.id))
      .map((s) => pfLockKey(s.pf.id));
    return this.locks.run([...names.map(vfLockKey), ...pfKeys], async () => {
      const t0 = performance.now();
      try {
        return await this.reconcileLocked(names, reason, repair);
      } finally {
        this.opts.onReconciled((performance.now() - t0) / 1000);
      }
    });
  }

  private async reconcileLocked(
    names: readonly string[],
    reason: string,
    repair: boolean,
  ): Promise<string[]> {
    // Read (and so stamp) the desired state once, before applying anything.
    const wanted = new Set(names);
    const desired = this.desired();
    let targets = desired.vfs.filter((v) => wanted.has(v.name));
    const rulesOf = (ts: typeof targets) => {
      const pfs = new Set(ts.map((t) => t.pf));
      return (desired.eswitch ?? []).filter((s) => pfs.has(s.pf.id));
    };
    const failed = new Map<string, string>();
    for (let round = 0; round < this.opts.maxRounds && targets.length > 0; round++) {
      let observed: ObservedPf[];
      try {
        observed = await this.observe(new Set(targets.map((t) => t.pf)));
      } catch (err) {
        for (const t of targets)
          failed.set(t.name, `reading the NIC failed: ${(err as Error).message}`);
        targets = [];
        break;
      }
      const p = plan({ pfs: [], vfs: targets, eswitch: rulesOf(targets) }, observed);
      if (isEmpty(p)) break;
      const busy = new Set([...p.steps.map(stepVf), ...eswitchOwners(p, targets)]);
      for (const t of targets) if (busy.has(t.name)) this.status.set(t.name, 'applying');
      this.log.debug({ reason, steps: planSummary(p) }, 'applying VF policy');
      const result = await this.driver.apply(p);
      for (const [n, error] of [
        ...failuresByVf(result.outcomes),
        ...eswitchFailures(result, targets),
      ])
        if (!failed.has(n)) failed.set(n, error);
      targets = targets.filter((t) => !failed.has(t.name));
      if (round === this.opts.maxRounds - 1) {
        const left = plan(
          { pfs: [], vfs: targets, eswitch: rulesOf(targets) },
          await this.observe(new Set(targets.map((t) => t.pf))),
        );
        for (const s of left.steps) {
          const n = stepVf(s);
          if (n && !failed.has(n))
            failed.set(n, `did not converge after ${this.opts.maxRounds} rounds: ${formatStep(s)}`);
        }
        for (const n of eswitchOwners(left, targets))
          if (!failed.has(n))
            failed.set(n, `eswitch rules did not converge after ${this.opts.maxRounds} rounds`);
        targets = targets.filter((t) => !failed.has(t.name));
      }
    }
    for (const [name, error] of failed) {
      this.log.error({ vf: name, error, reason }, 'VF could not be brought to its policy');
      this.status.set(name, 'failed', { lastError: error });
      this.retries.failed(name);
    }
    for (const t of targets) {
      const old = this.status.get(t.name);
      this.status.set(t.name, 'in-sync', {
        appliedRevision: t.revision,
        repairs: old.repairs + (repair ? 1 : 0),
      });
      this.retries.succeeded(t.name);
    }
    return targets.map((t) => t.name);
  }

  /**
   * Compare every VF with its policy; re-apply those that drifted (counted as repairs when
   * they were in sync at their current revision) and those with a pending revision.
   */
  checkDrift(reason: string): Promise<void> {
    this.drift ??= this.driftOnce(reason).finally(() => {
      this.drift = null;
    });
    return this.drift;
  }

  private async driftOnce(reason: string): Promise<void> {
    if (this.stopped) return;
    try {
      const resized = await this.reconcilePfs(reason);
      const desired = this.desired();
      const observed = await this.observe(new Set(desired.pfs.map((p) => p.id)));
      const p = plan({ pfs: [], vfs: desired.vfs }, observed);
      const off = new Set(p.steps.map(stepVf).filter((n): n is string => n !== null));
      for (const v of desired.vfs) if (resized.includes(v.pf)) off.add(v.name);
      const drifted: string[] = [];
      const pending: string[] = [];
      for (const v of desired.vfs) {
        if (!off.has(v.name) || this.retries.waiting(v.name)) continue;
        const s = this.status.get(v.name);
        if (s.syncState === 'in-sync' && s.appliedRevision === v.revision) {
          this.status.set(v.name, 'drifted');
          drifted.push(v.name);
        } else if (s.syncState !== 'applying') pending.push(v.name);
      }
      if (drifted.length > 0)
        this.log.warn({ vfs: drifted, reason }, 'VFs drifted from policy; repairing');
      await this.reconcileVfs(drifted, reason, true);
      await this.reconcileVfs(pending, reason);
    } catch (err) {
      this.log.error({ err, reason }, 'drift check failed; will try again');
    }
  }

  forget(name: string): void {
    this.status.delete(name);
    this.retries.succeeded(name);
  }
}
