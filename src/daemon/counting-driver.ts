/**
 * The driver as the daemon sees it: every call goes through this wrapper, which counts the
 * writes (plan steps and release calls) the daemon made. The count backs the
 * "restart touches nothing" promise (/healthz `driverApplySteps`), and the wrapper is the
 * seam where a fault-injecting driver is slipped in underneath (the reliability tests).
 */

import type {
  DriverEvent,
  GuestRequestHandler,
  NicDriver,
  ObserveOptions,
  PfInfo,
} from '../drivers/driver.js';
import type { ApplyResult, ObservedPf, Plan } from '../model/index.js';

export class CountingDriver implements NicDriver {
  readonly inner: NicDriver;
  /** Plan steps handed to apply(), plus release calls. */
  writes = 0;

  /** Present when the inner driver can bind VFs (a bind counts as a write). */
  readonly bindVf?: NicDriver['bindVf'];
  readonly vfBinding?: NicDriver['vfBinding'];

  constructor(inner: NicDriver) {
    this.inner = inner;
    const bind = inner.bindVf?.bind(inner);
    if (bind)
      this.bindVf = (pf, vf, driver) => {
        this.writes += 1;
        return bind(pf, vf, driver);
      };
    const binding = inner.vfBinding?.bind(inner);
    if (binding) this.vfBinding = binding;
  }

  get name(): string {
    return this.inner.name;
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }

  discover(): Promise<PfInfo[]> {
    return this.inner.discover();
  }

  observe(options?: ObserveOptions): Promise<ObservedPf[]> {
    return this.inner.observe(options);
  }

  apply(plan: Plan): Promise<ApplyResult> {
    this.writes += plan.steps.length;
    return this.inner.apply(plan);
  }

  release(pf: string, vf: number): Promise<void> {
    this.writes += 1;
    return this.inner.release(pf, vf);
  }

  onEvent(listener: (event: DriverEvent) => void): () => void {
    return this.inner.onEvent(listener);
  }

  setGuestRequestHandler(handler: GuestRequestHandler | null): void {
    this.inner.setGuestRequestHandler(handler);
  }
}
