/**
 * A driver wrapper that holds calls back on request, to put the daemon's reads and writes
 * in an order a test chooses (never a sleep): `hold('apply')` makes every later apply()
 * wait before it touches the NIC; `hold('stats')` lets a counter read take its snapshot at
 * once but keeps the answer back, so it lands after whatever the test does next. Each hold
 * returns its release; `heldCalls(kind)` says how many calls are waiting.
 */
import type {
  DriverEvent,
  GuestRequestHandler,
  NicDriver,
  ObserveOptions,
  PfInfo,
} from '../../src/drivers/driver.js';
import type { ApplyResult, ObservedPf, Plan } from '../../src/model/index.js';

export type HeldKind = 'apply' | 'stats';

export class HeldDriver implements NicDriver {
  readonly inner: NicDriver;
  private readonly gates = new Map<HeldKind, Promise<void>>();
  private readonly waiting = new Map<HeldKind, number>();
  private readonly arrivals = new Set<() => void>();

  constructor(inner: NicDriver) {
    this.inner = inner;
  }

  get name(): string {
    return this.inner.name;
  }

  /** Calls of this kind from now on wait until the returned function is called. */
  hold(kind: HeldKind): () => void {
    let open!: () => void;
    this.gates.set(
      kind,
      new Promise<void>((r) => {
        open = r;
      }),
    );
    return () => {
      this.gates.delete(kind);
      open();
    };
  }

  heldCalls(kind: HeldKind): number {
    return this.waiting.get(kind) ?? 0;
  }

  /** Resolves once a call of this kind is waiting at its gate. */
  async arrived(kind: HeldKind): Promise<void> {
    while (this.heldCalls(kind) === 0)
      await new Promise<void>((r) => {
        this.arrivals.add(r);
      });
  }

  private async wait(kind: HeldKind): Promise<void> {
    const gate = this.gates.get(kind);
    if (!gate) return;
    this.waiting.set(kind, this.heldCalls(kind) + 1);
    for (const r of this.arrivals) r();
    this.arrivals.clear();
    await gate;
    this.waiting.set(kind, this.heldCalls(kind) - 1);
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

  async observe(options?: ObserveOptions): Promise<ObservedPf[]> {
    // The snapshot is taken now; only its answer is held back.
    const got = await this.inner.observe(options);
    if (options?.stats) await this.wait('stats');
    return got;
  }

  async apply(plan: Plan): Promise<ApplyResult> {
    await this.wait('apply');
    return this.inner.apply(plan);
  }

  release(pf: string, vf: number): Promise<void> {
    return this.inner.release(pf, vf);
  }

  onEvent(listener: (event: DriverEvent) => void): () => void {
    return this.inner.onEvent(listener);
  }

  setGuestRequestHandler(handler: GuestRequestHandler | null): void {
    this.inner.setGuestRequestHandler(handler);
  }
}
