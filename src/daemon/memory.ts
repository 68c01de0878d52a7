/**
 * Giving back the memory the start needed and the running daemon does not.
 *
 * Starting loads every module (parsed source, bytecode) and reads every policy, config and
 * journal at once; V8 keeps the old-generation pages that garbage left and glibc keeps the
 * freed parser and compiler zones, so a daemon of 512 sim VFs held ~10 MiB it never used
 * again (measured with v8.getHeapSpaceStatistics and /proc/PID/smaps: old space 28 MiB of
 * which 20 MiB live; the malloc heap 9-10 MiB after V8 had freed most of it).
 *
 * settleMemory() runs one full garbage collection that compacts the old generation (V8's
 * --compact-on-every-full-gc, switched on for that one collection: without it the half-empty
 * pages stay mapped) and then glibc's malloc_trim. Node has no API for either: the
 * collection goes through V8's own `gc` function (the --expose-gc flag set at run time, the
 * function taken from a fresh context so the daemon's global scope never gets a `gc`, the way
 * the `expose-gc` package does it: three lines, not a dependency); malloc_trim goes through
 * koffi, already loaded for the state-directory flock. Both are best effort: without glibc
 * (musl) the trim is skipped. It costs one full collection (tens of ms), once, at the start.
 *
 * V8's young generation is the other part: its semi-spaces grow to 16 MiB each while the
 * start allocates and never shrink while the daemon is busy. Only a flag at process start
 * caps them (v8.setFlagsFromString is too late for the heap's layout), so the launcher
 * passes it: see the first line of src/cli/main.ts (and bench/daemon.ts for its effect).
 */
import { performance } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import koffi from 'koffi';

/** V8's `gc()`: without arguments a full, synchronous collection (Node 20's V8 11.3 reads an
 * options object as a young-generation collection only: measured). */
type Gc = () => void;
let gcFn: Gc | null | undefined;
let trimFn: ((pad: number) => number) | null | undefined;

function gc(): Gc | null {
  if (gcFn === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as Gc;
    } catch {
      gcFn = null;
    }
  }
  return gcFn;
}

function mallocTrim(): ((pad: number) => number) | null {
  if (trimFn === undefined) {
    try {
      trimFn = koffi.load('libc.so.6').func('int malloc_trim(size_t)') as (pad: number) => number;
    } catch {
      trimFn = null;
    }
  }
  return trimFn;
}

export interface SettleResult {
  rssBefore: number;
  rssAfter: number;
  /** V8's heap in use right after the collection (the live heap). */
  heapUsedAfter: number;
  /** How long the collection and the trim took. */
  ms: number;
}

/** One full collection, then return the free malloc heap to the system (best effort). */
export function settleMemory(): SettleResult {
  const t0 = performance.now();
  const rssBefore = process.memoryUsage.rss();
  const collect = gc();
  if (collect) {
    setFlagsFromString('--compact-on-every-full-gc');
    collect();
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
  mallocTrim()?.(0);
  return {
    rssBefore,
    rssAfter: process.memoryUsage.rss(),
    heapUsedAfter: getHeapStatistics().used_heap_size,
    ms: performance.now() - t0,
  };
}

/** Why a settle ran: a busy stretch ended, or the heap grew while the daemon was quiet. */
export type SettleTrigger = 'busy' | 'growth';

/**
 * When to settle again after the start. Two things leave memory behind that V8 and glibc keep
 * until memory is short:
 * - a burst of work (guest requests, a large apply): a daemon that answered 50,000 requests
 *   sat ~5 MiB above its idle RSS for good (bench/daemon.ts);
 * - steady light work: with the sim's demo traffic on 512 VFs (and the counter read of
 *   each once a second) the old generation grew by ~0.2 MiB/s of objects that outlived the
 *   1 MiB young generation, and V8 only collected it at ~26-29 MiB used, so RSS went from
 *   83 to 89-93 MiB within a minute (measured: v8.getHeapStatistics, smaps_rollup). With
 *   the growth trigger (measured at 3 MiB) it stayed at 84-86 MiB; each settle took 60-100 ms,
 *   one every ~10 s.
 * Given the event loop's utilisation of each interval and the heap used, this says when to
 * settle: on a quiet interval, after a busy one or once the heap has grown `growthBytes`
 * since the last settle, at most once every `growthGap` intervals. Pure. The gap: the used
 * heap holds the young generation's garbage too, which under plain `node` (16 MiB
 * semi-spaces: `npm start`, no launcher flags) passed 4 MiB every 2-4 s, so the demo ran a
 * full collection that often (60-90 ms each) for nothing. With the launcher's 1 MiB young
 * generation the growth settles came every ~10 s anyway, which the gap (5 × 2 s) keeps.
 */
export class IdleSettle {
  private busySeen = false;
  private baseline = Number.POSITIVE_INFINITY;
  constructor(
    private readonly busyAbove = 0.15,
    private readonly quietBelow = 0.05,
    private readonly growthBytes = 4 * 2 ** 20,
    private readonly growthGap = 5,
  ) {}
  /** Intervals fed since the last settle. */
  private since = 0;

  /** Feed one interval's utilisation (0..1) and the heap used now; non-null: settle now. */
  interval(utilisation: number, heapUsed = 0): SettleTrigger | null {
    this.since += 1;
    if (utilisation >= this.busyAbove) {
      this.busySeen = true;
      return null;
    }
    if (utilisation >= this.quietBelow) return null;
    const trigger = this.busySeen
      ? 'busy'
      : heapUsed - this.baseline >= this.growthBytes && this.since >= this.growthGap
        ? 'growth'
        : null;
    if (trigger) this.busySeen = false;
    return trigger;
  }

  /** What a settle left (the heap used right after it): growth is counted from here. */
  settled(heapUsed: number): void {
    this.baseline = heapUsed;
    this.since = 0;
  }
}

/**
 * Every `everyMs`, read the event loop's utilisation over the interval and the heap used,
 * and settle memory when IdleSettle says so: the full collection (60-100 ms for the heap of
 * 512 sim VFs) then runs when nothing is waiting for the daemon. `startHeapUsed` is what the
 * start's own settle left. `onSettled` is told what it gave back. Returns the stop function.
 */
export function settleWhenIdle(
  everyMs: number,
  startHeapUsed: number,
  onSettled: (r: SettleResult & { trigger: SettleTrigger }) => void,
): () => void {
  const idle = new IdleSettle();
  idle.settled(startHeapUsed);
  let last = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const u = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    const trigger = idle.interval(u, getHeapStatistics().used_heap_size);
    if (!trigger) return;
    const r = settleMemory();
    idle.settled(r.heapUsedAfter);
    onSettled({ ...r, trigger });
    // The settle's own time is not the next interval's work.
    last = performance.eventLoopUtilization();
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
