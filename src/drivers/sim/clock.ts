/**
 * Time for the rate limiters. Tests and replays use a ManualClock so that "100 frames at
 * t=0, then 1 ms later" gives the same verdicts on every machine; the daemon uses realClock.
 */
export interface Clock {
  /** Nanoseconds since an arbitrary origin, never decreasing. */
  nowNs(): number;
}

export class ManualClock implements Clock {
  private t = 0;

  nowNs(): number {
    return this.t;
  }

  advance(ns: number): void {
    if (!(ns >= 0)) throw new Error(`clock: cannot advance by ${ns} ns; time only moves forward`);
    this.t += ns;
  }

  /** Move to an absolute time (not before the current one). */
  set(ns: number): void {
    if (ns < this.t) throw new Error(`clock: cannot go back from ${this.t} ns to ${ns} ns`);
    this.t = ns;
  }
}

export const realClock: Clock = {
  nowNs: () => performance.now() * 1e6,
};
