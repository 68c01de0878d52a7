/**
 * A NicDriver wrapper that injects faults: fail step k of the next apply (steps before it
 * are really applied, the ones after are not attempted), and fail the next N reads. It
 * records every apply so tests can see retries, their timing, and which VFs were touched.
 */
import type { NicDriver } from '../../src/drivers/driver.js';
import type { ApplyResult, Plan, PlanStep, StepOutcome } from '../../src/model/index.js';

export interface ApplyRecord {
  at: number;
  steps: PlanStep[];
  failedAt: number | null;
}

export class FaultyDriver {
  readonly inner: NicDriver;
  /** Fail the step at this index of the next `failTimes` applies that are that long. */
  failAt: number | null = null;
  failTimes = 0;
  /** Only plans with a step for this VF (by name) are failed; null: any plan. */
  failVf: string | null = null;
  /** Throw from the next `failReads` observe() calls. */
  failReads = 0;
  readonly applies: ApplyRecord[] = [];
  faultsInjected = 0;

  constructor(inner: NicDriver) {
    this.inner = inner;
  }

  /** The wrapped driver as a NicDriver: every method delegates, apply and observe may fail. */
  driver(): NicDriver {
    const inner = this.inner;
    return Object.assign(Object.create(inner) as NicDriver, {
      name: inner.name,
      discover: () => inner.discover(),
      start: () => inner.start(),
      stop: () => inner.stop(),
      release: (...a: Parameters<NicDriver['release']>) => inner.release(...a),
      onEvent: (...a: Parameters<NicDriver['onEvent']>) => inner.onEvent(...a),
      setGuestRequestHandler: (...a: Parameters<NicDriver['setGuestRequestHandler']>) =>
        inner.setGuestRequestHandler(...a),
      observe: (...a: Parameters<NicDriver['observe']>) => {
        if (this.failReads > 0) {
          this.failReads -= 1;
          this.faultsInjected += 1;
          return Promise.reject(new Error('injected fault: EIO reading VF state'));
        }
        return inner.observe(...a);
      },
      apply: (plan: Plan) => this.apply(plan),
    });
  }

  private async apply(plan: Plan): Promise<ApplyResult> {
    const k = this.failAt;
    const rec: ApplyRecord = { at: Date.now(), steps: plan.steps, failedAt: null };
    this.applies.push(rec);
    const targeted =
      this.failVf === null || plan.steps.some((st) => 'name' in st && st.name === this.failVf);
    if (k === null || this.failTimes <= 0 || k >= plan.steps.length || !targeted)
      return this.inner.apply(plan);
    this.failTimes -= 1;
    this.faultsInjected += 1;
    rec.failedAt = k;
    const before = await this.inner.apply({ steps: plan.steps.slice(0, k) });
    const failed: StepOutcome = {
      step: plan.steps[k],
      status: 'failed',
      error: `injected fault: EIO at step ${k}`,
    };
    const after: StepOutcome[] = plan.steps.slice(k + 1).map((step) => ({
      step,
      status: 'skipped',
      error: `not attempted: step ${k} failed`,
    }));
    return { outcomes: [...before.outcomes, failed, ...after] };
  }
}
