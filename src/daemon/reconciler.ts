/**
 * Desired state → plan → driver.apply → observe → plan again, until the plan is empty
 * (bounded rounds). The reconciler is the one writer to the NIC (plans and releases) and
 * feeds every read it makes into the daemon's observations. One owner per VF at a time
 * (KeyedLock); the revision is stamped from the desired state read before applying, never
 * read back later from an object that may have changed meanwhile. Failed VFs are retried
 * with backoff while other VFs are left alone; drift.ts notices VFs that no longer match.
 */
import { type DesiredVf, formatStep, type ObservedPf, type Plan } from '../model/index.js';
import {
  type DesiredState,
  desiredState,
  type PolicyIndex,
  policyIndex,
} from '../policy/desired.js';
import { plan } from '../policy/plan.js';
import type { CountingDriver } from './counting-driver.js';
import { eswitchFailures, eswitchOwners, planSummary } from './eswitch-outcomes.js';
import type { Logger } from './logger.js';
import type { KeyedLock } from './mutex.js';
import type { Observations } from './observations.js';
import { Retries } from './retries.js';
import { failuresByVf, stepVf } from './step-report.js';
import type { Store, StoreState } from './store/store.js';
import type { StatusBoard } from './vf-status.js';

export interface ReconcilerDeps {
  driver: CountingDriver;
  store: Store;
  locks: KeyedLock;
  status: StatusBoard;
  observed: Observations;
  log: Logger;
}

export interface ReconcilerOptions {
  /** Rounds of apply → observe → plan before a VF is declared failed. */
  maxRounds?: number;
  /** Told how long each VF batch took (the metrics' reconcile duration histogram). */
  onReconciled?: (seconds: number) => void;
}

export const vfLockKey = (name: string) => `vf:${name}`;
const pfLockKey = (pf: string) => `pf:${pf}`;

/** Whether a caller's read of one VF can stand for observeTargets() of these targets. */
function usable(seen: ObservedPf, targets: readonly DesiredVf[], rules: boolean): boolean {
  if (rules || targets.length !== 1) return false;
  const t = targets[0];
  return seen.id === t.pf && seen.vfs.some((v) => v.vf === t.vf);
}

/** Whether a plan changes anything at all (steps or eswitch rules). */
function isEmpty(p: Plan): boolean {
  return p.steps.length === 0 && (p.eswitch ?? []).length === 0;
}

export class Reconciler {
  private readonly d: ReconcilerDeps;
  private readonly opts: Required<ReconcilerOptions>;
  private readonly retries: Retries;
  private readonly desiredMemo = new WeakMap<StoreState, DesiredState>();
  /** By policy map (a guest change keeps it): see indexOf. */
  private readonly indexMemo = new WeakMap<StoreState['policies'], PolicyIndex>();
  reconciles = 0;

  constructor(deps: ReconcilerDeps, opts: ReconcilerOptions = {}) {
    this.d = deps;
    this.opts = { maxRounds: 4, onReconciled: () => {}, ...opts };
    this.retries = new Retries((names) => {
      this.reconcileVfs(names, 'retry').catch((err) => {
        this.d.log.error({ err, vfs: names }, 'retry failed to start; trying again');
        for (const n of names) this.retries.failed(n);
      });
    });
  }

  stop(): void {
    this.retries.stop();
  }

  desired(state = this.d.store.state()): DesiredState {
    let d = this.desiredMemo.get(state);
    if (!d) {
      const index = this.indexOf(state);
      d = desiredState(state.main, index.policies, state.guests, state.revisions, undefined, index);
      this.desiredMemo.set(state, d);
    }
    return d;
  }

  /**
   * Read one VF of a PF (the PF's own fields and that VF; a driver may add the others): what
   * is read updates the daemon's last observation of the PF in place.
   */
  async observeVf(pf: string, vf: number): Promise<ObservedPf | undefined> {
    const ticket = this.d.observed.begin();
    const got = await this.d.driver.observe({ pf, vf });
    this.d.observed.recordVfs(got, ticket);
    return got[0];
  }

  /**
   * The desired state of these VFs (and of their PFs' eswitch), from the current store state:
   * the whole one when it is computed already, else only what a reconcile of them needs.
   */
  private desiredOf(names: readonly string[]): DesiredState {
    const state = this.d.store.state();
    const whole = this.desiredMemo.get(state);
    if (whole) return whole;
    const { main, guests, revisions } = state;
    const index = this.indexOf(state);
    return desiredState(main, index.policies, guests, revisions, new Set(names), index);
  }

  /**
   * The policies' index (traffic shares, names): built once per set of policies, so a guest's
   * ack, which leaves the policies as they are, costs O(1) in the host's VFs, not O(VFs).
   */
  private indexOf(state: StoreState): PolicyIndex {
    let index = this.indexMemo.get(state.policies);
    if (!index || index.config !== state.main) {
      index = policyIndex(state.main, [...state.policies.values()]);
      this.indexMemo.set(state.policies, index);
    }
    return index;
  }

  /** Read these PFs from the driver; what is read becomes the daemon's last observation. */
  async observe(pfs: ReadonlySet<string>): Promise<ObservedPf[]> {
    const ticket = this.d.observed.begin();
    const got =
      pfs.size === 1
        ? await this.d.driver.observe({ pf: [...pfs][0] })
        : (await this.d.driver.observe()).filter((p) => pfs.has(p.id));
    this.d.observed.record(got, false, ticket);
    return got;
  }

  /**
   * What a plan for these VFs needs: their PFs' own fields and their VFs (plan() looks at the
   * targets only). One VF (a guest's ack) is read alone: with 64 VFs on its PF, two reads of
   * the whole PF per ack made it cost 2.5x the CPU of one on a PF of 8 (bench/daemon.ts). A PF
   * with eswitch rules is read whole: its rules join every VF's representor.
   */
  private async observeTargets(
    targets: readonly DesiredVf[],
    rules: boolean,
  ): Promise<ObservedPf[]> {
    if (targets.length !== 1 || rules) return this.observe(new Set(targets.map((t) => t.pf)));
    const pf = await this.observeVf(targets[0].pf, targets[0].vf);
    return pf ? [pf] : [];
  }

  /** A retry of this VF is scheduled: a drift check leaves it to the retry. */
  retrying(name: string): boolean {
    return this.retries.waiting(name);
  }

  /** Bring every PF, then every VF, to its policy. */
  async reconcileAll(reason: string): Promise<void> {
    await this.reconcilePfs(reason);
    await this.reconcileVfs([...this.d.store.state().policies.keys()], reason);
  }

  /** PF-level settings (numVfs, MTU, loopback, traffic classes, eswitch mode) and LAGs. */
  async reconcilePfs(reason: string): Promise<string[]> {
    const pfs = this.desired().pfs;
    const changed: string[] = [];
    await this.d.locks.run(
      pfs.map((p) => pfLockKey(p.id)),
      async () => {
        for (let round = 0; round < this.opts.maxRounds; round++) {
          const { pfs, eswitch, lags } = this.desired();
          const p = plan(
            { pfs, vfs: [], eswitch, lags },
            await this.observe(new Set(pfs.map((x) => x.id))),
          );
          if (isEmpty(p)) return;
          this.d.log.info({ reason, steps: planSummary(p) }, 'applying PF policy');
          const result = await this.d.driver.apply(p);
          for (const o of result.outcomes) {
            if (o.status !== 'done')
              this.d.log.error({ step: formatStep(o.step), error: o.error }, 'PF step failed');
            else changed.push(o.step.pf);
          }
          for (const [who, error] of eswitchFailures(result, null))
            this.d.log.error({ owner: who, error }, 'eswitch rule failed');
        }
      },
    );
    return [...new Set(changed)];
  }

  /**
   * Bring the named VFs to their policy; returns the names that ended in sync. `seen` is a
   * read the caller made of its one VF just before (a guest decision): the first plan is made
   * from it instead of another read. That read may be stale by then (the VF lock was let go
   * between), which costs nothing but a step or a round: a step planned from it sets what the
   * policy wants anyway, and every round after an apply plans from a fresh read, so the VF is
   * only reported in sync once the NIC is read to match.
   */
  async reconcileVfs(
    names: readonly string[],
    reason: string,
    repair = false,
    seen?: ObservedPf,
  ): Promise<string[]> {
    if (names.length === 0) return [];
    this.reconciles += 1;
    // Rules of a switchdev PF are shared by its VFs: one reconcile per PF at a time.
    const state = this.d.store.state();
    const d = this.desiredOf(names);
    const shared = new Set(d.vfs.filter((v) => names.includes(v.name)).map((v) => v.pf));
    const pfKeys = (d.eswitch ?? [])
      .filter((s) => shared.has(s.pf.id))
      .map((s) => pfLockKey(s.pf.id));
    return this.d.locks.run([...names.map(vfLockKey), ...pfKeys], async () => {
      const t0 = performance.now();
      try {
        // The desired state read for the lock keys serves, unless the store moved on while
        // this waited for its locks (a guest's ack computed it twice otherwise).
        const desired = this.d.store.state() === state ? d : this.desiredOf(names);
        const { ok, failed } = await this.converge(names, reason, desired, seen);
        return this.report(ok, failed, reason, repair);
      } finally {
        this.opts.onReconciled((performance.now() - t0) / 1000);
      }
    });
  }

  /**
   * Apply rounds until the named VFs match or fail: the ones in sync (with the revision
   * stamped before applying) and the error of each failed one.
   */
  private async converge(
    names: readonly string[],
    reason: string,
    desired: DesiredState,
    seen?: ObservedPf,
  ): Promise<{ ok: DesiredVf[]; failed: Map<string, string> }> {
    // `desired` was read (and so stamped) once, before anything is applied, from the store
    // state in force once the locks were held.
    const wanted = new Set(names);
    let targets = desired.vfs.filter((v) => wanted.has(v.name));
    const rulesOf = (ts: readonly DesiredVf[]) => {
      const pfs = new Set(ts.map((t) => t.pf));
      return (desired.eswitch ?? []).filter((s) => pfs.has(s.pf.id));
    };
    let hint = seen;
    const failed = new Map<string, string>();
    const fail = (name: string, error: string) => {
      if (!failed.has(name)) failed.set(name, error);
    };
    for (let round = 0; round < this.opts.maxRounds && targets.length > 0; round++) {
      let observed: ObservedPf[];
      const rules = rulesOf(targets);
      const fromHint = round === 0 && hint && usable(hint, targets, rules.length > 0) ? hint : null;
      try {
        observed = fromHint ? [fromHint] : await this.observeTargets(targets, rules.length > 0);
      } catch (err) {
        for (const t of targets) fail(t.name, `reading the NIC failed: ${(err as Error).message}`);
        break;
      }
      const p = plan({ pfs: [], vfs: targets, eswitch: rules }, observed);
      if (isEmpty(p) && fromHint) {
        // Nothing to do by the caller's read: only a fresh read may say the VF is in sync.
        hint = undefined;
        round -= 1;
        continue;
      }
      if (isEmpty(p)) break;
      const busy = new Set([...p.steps.map(stepVf), ...eswitchOwners(p, targets)]);
      for (const t of targets) if (busy.has(t.name)) this.d.status.set(t.name, 'applying');
      this.d.log.debug({ reason, steps: planSummary(p) }, 'applying VF policy');
      const result = await this.d.driver.apply(p);
      for (const [n, error] of failuresByVf(result.outcomes)) fail(n, error);
      for (const [n, error] of eswitchFailures(result, targets)) fail(n, error);
      targets = targets.filter((t) => !failed.has(t.name));
      if (round === this.opts.maxRounds - 1) {
        const left = plan(
          { pfs: [], vfs: targets, eswitch: rulesOf(targets) },
          await this.observeTargets(targets, rulesOf(targets).length > 0),
        );
        for (const s of left.steps) {
          const n = stepVf(s);
          if (n) fail(n, `did not converge after ${this.opts.maxRounds} rounds: ${formatStep(s)}`);
        }
        for (const n of eswitchOwners(left, targets))
          fail(n, `eswitch rules did not converge after ${this.opts.maxRounds} rounds`);
      }
    }
    return { ok: targets.filter((t) => !failed.has(t.name)), failed };
  }

  /** Status of each VF after converge(): failed (and retried later) or in sync at its revision. */
  private report(
    ok: readonly DesiredVf[],
    failed: Map<string, string>,
    reason: string,
    repair: boolean,
  ): string[] {
    const { status, log } = this.d;
    for (const [name, error] of failed) {
      log.error({ vf: name, error, reason }, 'VF could not be brought to its policy');
      status.set(name, 'failed', { lastError: error });
      this.retries.failed(name);
    }
    for (const t of ok) {
      status.set(t.name, 'in-sync', {
        appliedRevision: t.revision,
        repairs: status.get(t.name).repairs + (repair ? 1 : 0),
      });
      this.retries.succeeded(t.name);
    }
    return ok.map((t) => t.name);
  }

  /**
   * Give a VF that lost its policy back to what it was before nicvisor took it over (the
   * driver restores its snapshot), under its old owner's lock; a failure leaves it as it is.
   */
  async release(v: { name: string; pf: string; vf: number }): Promise<void> {
    await this.d.locks
      .run([vfLockKey(v.name)], () => this.d.driver.release(v.pf, v.vf))
      .catch((err) => {
        this.d.log.error(
          { err, vf: v.name },
          'releasing the VF failed; it keeps its last settings',
        );
      });
  }

  forget(name: string): void {
    this.d.status.delete(name);
    this.retries.succeeded(name);
  }
}
