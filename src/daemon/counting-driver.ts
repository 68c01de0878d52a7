/**
 * The driver as the daemon sees it: every call goes through this wrapper, which counts the
 * writes (plan steps, mirror and release calls) the daemon made. The count backs the
 * "restart touches nothing" promise (/healthz `driverApplySteps`), and the wrapper is the
 * seam where a fault-injecting driver (issue 7) is slipped in underneath.
 */

import type {
  DriverEvent,
  GuestRequestHandler,
  NicDriver,
  ObserveOptions,
  PfInfo,
} from '../drivers/driver.js';
import type { ApplyResult, MirrorState, ObservedPf, Plan, VfCounters } from '../model/index.js';

export class CountingDriver implements NicDriver {
  readonly inner: NicDriver;
  /** Plan steps handed to apply(), plus setMirror/release calls. */
  writes = 0;

  constructor(inner: NicDriver) {
    this.inner = inner;
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

  readCounters(pf?: string): Promise<Map<string, VfCounters>> {
    return this.inner.readCounters(pf);
  }

  apply(plan: Plan): Promise<ApplyResult> {
    this.writes += plan.steps.length;
    return this.inner.apply(plan);
  }

  setMirror(pf: string, vf: number, mirror: MirrorState | null): Promise<void> {
    this.writes += 1;
    return this.inner.setMirror(pf, vf, mirror);
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
