/**
 * The counters cache: counters of every PF and VF read on a schedule (statsIntervalMs) and
 * served from memory, so /v1/stats and /metrics never call the driver per request (issue 6:
 * scraping 2048 VFs must not stall the daemon).
 *
 * Counters are made monotonic here: a NIC that zeroes them (PF reset) is compensated by
 * adding the last value seen before the drop.
 */

import type { NicDriver } from '../drivers/driver.js';
import { type ObservedPf, type VfCounters, vfKey, zeroCounters } from '../model/index.js';
import type { EventBus } from './events.js';
import { RateHistory, type RateWindow } from './history.js';
import type { Logger } from './logger.js';

type Key = keyof VfCounters;

/** Seconds of rate history the dashboard can plot. */
export const HISTORY_SECONDS = 300;

/** Samples in HISTORY_SECONDS, bounded so a tiny interval cannot balloon memory. */
export function historyCapacity(intervalMs: number): number {
  return Math.min(600, Math.max(2, Math.ceil((HISTORY_SECONDS * 1000) / intervalMs)));
}

class Monotonic {
  private last = zeroCounters();
  private offset = zeroCounters();
  value = zeroCounters();

  update(raw: VfCounters): void {
    for (const k of Object.keys(raw) as Key[]) {
      if (raw[k] < this.last[k]) this.offset[k] += this.last[k];
      this.last[k] = raw[k];
      this.value[k] = raw[k] + this.offset[k];
    }
  }
}

export class StatsCache {
  private readonly driver: NicDriver;
  private readonly intervalMs: number;
  private readonly bus: EventBus;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly vfs = new Map<string, Monotonic>();
  private readonly pfs = new Map<string, Monotonic>();
  /** When the cache was last filled (ISO time), null before the first read. */
  at: string | null = null;
  /** Failed reads in a row (reported in the log once per streak). */
  private failures = 0;
  /** Per-VF rates of the last HISTORY_SECONDS, for the dashboard's plots. */
  private readonly rates: RateHistory;

  constructor(driver: NicDriver, intervalMs: number, bus: EventBus, log: Logger) {
    this.driver = driver;
    this.intervalMs = intervalMs;
    this.bus = bus;
    this.log = log;
    this.rates = new RateHistory(historyCapacity(intervalMs));
  }

  get interval(): number {
    return this.intervalMs;
  }

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Read every counter now (one at a time: a slow read is never stacked up). */
  refresh(): Promise<void> {
    this.running ??= this.read().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async read(): Promise<void> {
    let observed: ObservedPf[];
    try {
      observed = await this.driver.observe({ stats: true });
    } catch (err) {
      if (this.failures++ === 0)
        this.log.warn({ err }, 'reading counters failed; serving the last values');
      return;
    }
    if (this.failures > 0)
      this.log.info({ failures: this.failures }, 'reading counters works again');
    this.failures = 0;
    this.rates.begin(Date.now());
    const seen = new Set<string>();
    for (const pf of observed) {
      this.entry(this.pfs, pf.id).update(pf.counters);
      for (const vf of pf.vfs) {
        const key = vfKey(pf.id, vf.vf);
        const m = this.entry(this.vfs, key);
        m.update(vf.counters);
        this.rates.record(key, m.value);
        seen.add(key);
      }
    }
    // A VF the NIC no longer has (numVfs lowered) leaves /metrics and the plots, as it
    // leaves the exporter's output; should it come back its counters start again from 0.
    for (const key of this.vfs.keys()) {
      if (seen.has(key)) continue;
      this.vfs.delete(key);
      this.rates.forget(key);
    }
    this.at = new Date().toISOString();
    this.bus.emit({ type: 'stats', at: this.at });
  }

  private entry(map: Map<string, Monotonic>, key: string): Monotonic {
    let m = map.get(key);
    if (!m) {
      m = new Monotonic();
      map.set(key, m);
    }
    return m;
  }

  vf(pf: string, vf: number): VfCounters | null {
    const m = this.vfs.get(vfKey(pf, vf));
    return m ? { ...m.value } : null;
  }

  pf(id: string): VfCounters | null {
    const m = this.pfs.get(id);
    return m ? { ...m.value } : null;
  }

  /** Every VF the last read saw, with its counters (no copies: callers must not keep them). */
  *vfEntries(): Iterable<[key: string, counters: Readonly<VfCounters>]> {
    for (const [key, m] of this.vfs) yield [key, m.value];
  }

  /** Rates of one VF over the kept window, sampled after `sinceMs`. */
  history(pf: string, vf: number, sinceMs?: number): RateWindow {
    return this.rates.window(vfKey(pf, vf), sinceMs);
  }

  /** How many seconds of rates are kept. */
  get historySeconds(): number {
    return Math.round((this.rates.capacity * this.intervalMs) / 1000);
  }

  pfIds(): string[] {
    return [...this.pfs.keys()];
  }
}
