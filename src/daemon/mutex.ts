/**
 * Locks. `Mutex` serialises store changes (each is validated against the whole set, so two
 * must never interleave); `KeyedLock` gives one owner per VF at a time, with a timeout
 * (sriov-cni's late release of a lock wiped the next owner's config; a timeout turns a stuck
 * owner into an error instead of a hang).
 */
import { DaemonError } from './errors.js';

export class LockTimeoutError extends DaemonError {
  constructor(key: string, timeoutMs: number) {
    super(
      'busy',
      `VF ${key} is busy: another operation held it for more than ${timeoutMs} ms; retry later`,
    );
    this.name = 'LockTimeoutError';
  }
}

/**
 * One holder at a time, in arrival order, except that an `urgent` caller goes ahead of the
 * ordinary ones still waiting. The store marks guest-state writes urgent: they are short and
 * made while their VF lock is held, so queueing them behind every pending policy commit held
 * that VF lock across the whole queue (the lock convoy that gave guests 503 under 50 clients).
 */
export class Mutex {
  private busy = false;
  private readonly urgent: (() => void)[] = [];
  private readonly waiting: (() => void)[] = [];

  /** Run fn when the holder (and every urgent waiter, and unless urgent every earlier one) is done. */
  async run<T>(fn: () => Promise<T>, opts: { urgent?: boolean } = {}): Promise<T> {
    if (this.busy)
      await new Promise<void>((r) => (opts.urgent ? this.urgent : this.waiting).push(r));
    else this.busy = true;
    try {
      return await fn();
    } finally {
      // Hand the lock straight to the next waiter (it stays busy), or free it.
      const next = this.urgent.shift() ?? this.waiting.shift();
      if (next) next();
      else this.busy = false;
    }
  }
}

export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
  }

  /** Keys currently held or waited for (for tests and /healthz). */
  get size(): number {
    return this.tails.size;
  }

  private async acquireOne(key: string): Promise<() => void> {
    const prev = this.tails.get(key);
    let resolve!: () => void;
    const mine = new Promise<void>((r) => {
      resolve = r;
    });
    const tail = prev ? prev.then(() => mine) : mine;
    this.tails.set(key, tail);
    // Called by the holder: the entry goes with it unless somebody queued behind.
    const release = () => {
      resolve();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
    // A free key is taken at once, with no timer: the common case (a guest's ack takes two
    // VF locks) made a timer and a race of promises for every one.
    if (!prev) return release;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), this.timeoutMs);
    });
    const won = await Promise.race([prev.then(() => 'ok' as const), timedOut]);
    clearTimeout(timer);
    if (won === 'timeout') {
      // Give our place in the queue up as soon as it comes, so later owners are not stuck;
      // the entry stays until the holder before us is done (deleting it now would let the
      // next caller in beside that holder).
      resolve();
      void tail.then(() => {
        if (this.tails.get(key) === tail) this.tails.delete(key);
      });
      throw new LockTimeoutError(key, this.timeoutMs);
    }
    return release;
  }

  /** Acquire every key (in sorted order, so two callers cannot deadlock) and run fn. */
  async run<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    const releases: (() => void)[] = [];
    try {
      const sorted = keys.length === 1 ? keys : [...new Set(keys)].sort();
      for (const key of sorted) releases.push(await this.acquireOne(key));
      return await fn();
    } finally {
      for (const r of releases.reverse()) r();
    }
  }
}
