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
import { setFlagsFromString } from 'node:v8';
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

/** One full collection, then return the free malloc heap to the system (best effort). */
export function settleMemory(): { rssBefore: number; rssAfter: number } {
  const rssBefore = process.memoryUsage.rss();
  const collect = gc();
  if (collect) {
    setFlagsFromString('--compact-on-every-full-gc');
    collect();
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
  mallocTrim()?.(0);
  return { rssBefore, rssAfter: process.memoryUsage.rss() };
}

/**
 * When to settle again after the start: a burst of work (guest requests, a large apply)
 * leaves old-generation garbage and malloc'd buffers that V8 and glibc keep until memory is
 * short, so a daemon that answered 50,000 requests sat ~5 MiB above its idle RSS for good
 * (bench/daemon.ts). Given the event loop's utilisation of each interval, this says when a
 * busy stretch has ended: the first quiet interval after at least one busy one. Pure.
 */
export class IdleSettle {
  private busySeen = false;
  constructor(
    private readonly busyAbove = 0.15,
    private readonly quietBelow = 0.05,
  ) {}

  /** Feed one interval's utilisation (0..1); true: settle now. */
  interval(utilisation: number): boolean {
    if (utilisation >= this.busyAbove) {
      this.busySeen = true;
      return false;
    }
    if (utilisation < this.quietBelow && this.busySeen) {
      this.busySeen = false;
      return true;
    }
    return false;
  }
}

/**
 * Every `everyMs`, read the event loop's utilisation over the interval and settle memory
 * once a busy stretch has ended (IdleSettle): the full collection (tens of ms) then runs
 * when nothing is waiting for the daemon. `onSettled` is told what it gave back. Returns the
 * stop function.
 */
export function settleWhenIdle(
  everyMs: number,
  onSettled: (r: { rssBefore: number; rssAfter: number }) => void,
): () => void {
  const idle = new IdleSettle();
  let last = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const u = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    if (idle.interval(u)) onSettled(settleMemory());
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
