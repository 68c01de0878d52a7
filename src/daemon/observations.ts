/**
 * The one owner of what the daemon last observed of each PF: its settings and VFs as the
 * driver last reported them (fed by every reconcile, drift check, guest decision and stats
 * refresh), and its counters, made monotonic, with a few minutes of rates for the plots.
 * Views and metrics read from here; nothing here calls the driver.
 *
 * Counters are made monotonic: a NIC that zeroes them (PF reset) is compensated by adding
 * the last value seen before the drop.
 */
import { type ObservedPf, type ObservedVf, type VfCounters, zeroCounters } from '../model/index.js';
import { RateHistory, type RateWindow } from './history.js';

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
    // for-in, not Object.keys(): no array per VF on every stats read.
    for (const key in raw) {
      const k = key as keyof VfCounters;
      if (raw[k] < this.last[k]) this.offset[k] += this.last[k];
      this.last[k] = raw[k];
      this.value[k] = raw[k] + this.offset[k];
    }
  }
}

/** Counters of one PF and its VFs (by VF index), and the VFs' rates. */
interface PfCounters {
  pf: Monotonic;
  vfs: Map<number, Monotonic>;
  rates: RateHistory<number>;
}

/** One VF's counters as the last stats read left them (no copy: do not keep it). */
export interface CounterSample {
  pf: string;
  vf: number;
  pciAddr: string | undefined;
  counters: Readonly<VfCounters>;
}

export class Observations {
  private readonly pfs = new Map<string, ObservedPf>();
  private readonly counters = new Map<string, PfCounters>();
  private readonly capacity: number;
  /** When counters were last read (ISO time), null before the first read. */
  countersAt: string | null = null;

  constructor(statsIntervalMs: number) {
    this.capacity = historyCapacity(statsIntervalMs);
  }

  /** Reads handed out by begin(), and per PF the newest read whose settings were kept. */
  private reads = 0;
  private readonly keptRead = new Map<string, number>();

  /** Call before asking the driver: the ticket orders this read against the others. */
  begin(): number {
    this.reads += 1;
    return this.reads;
  }

  /**
   * What the driver just read: settings always, counters when the read asked for them. A
   * read that began before the one whose settings are kept for a PF (a stats read started
   * before an apply, landing after the reconciler's read-back) keeps only its counters:
   * its settings are older than what is shown.
   */
  record(observed: readonly ObservedPf[], withCounters = false, ticket = this.begin()): void {
    for (const p of observed) {
      if ((this.keptRead.get(p.id) ?? 0) > ticket) continue;
      this.pfs.set(p.id, p);
      this.keptRead.set(p.id, ticket);
    }
    if (!withCounters) return;
    const now = Date.now();
    for (const p of observed) this.recordCounters(p, now);
    this.countersAt = new Date(now).toISOString();
  }

  /**
   * A read of some VFs of each PF (ObserveOptions.vf): the PF's own fields and the VFs read
   * replace what was kept, the PF's other VFs stay as last read. A PF never read whole yet is
   * not kept from a partial read (views would show it with VFs missing).
   */
  recordVfs(observed: readonly ObservedPf[], ticket = this.begin()): void {
    for (const p of observed) {
      const kept = this.pfs.get(p.id);
      if (!kept || (this.keptRead.get(p.id) ?? 0) > ticket) continue;
      const read = new Map(p.vfs.map((v) => [v.vf, v]));
      const vfs = kept.vfs.map((v) => {
        const r = read.get(v.vf);
        if (!r) return v;
        read.delete(v.vf);
        return r;
      });
      if (read.size > 0) {
        vfs.push(...read.values());
        vfs.sort((a, b) => a.vf - b.vf);
      }
      this.pfs.set(p.id, { ...p, vfs });
      this.keptRead.set(p.id, ticket);
    }
  }

  private recordCounters(p: ObservedPf, now: number): void {
    let c = this.counters.get(p.id);
    if (!c) {
      c = { pf: new Monotonic(), vfs: new Map(), rates: new RateHistory(this.capacity) };
      this.counters.set(p.id, c);
    }
    c.pf.update(p.counters);
    c.rates.begin(now);
    const seen = new Set<number>();
    for (const v of p.vfs) {
      let m = c.vfs.get(v.vf);
      if (!m) {
        m = new Monotonic();
        c.vfs.set(v.vf, m);
      }
      m.update(v.counters);
      c.rates.record(v.vf, m.value);
      seen.add(v.vf);
    }
    // A VF the NIC no longer has (numVfs lowered) leaves /metrics and the plots, as it
    // leaves the exporter's output; should it come back its counters start again from 0.
    for (const vf of [...c.vfs.keys()]) {
      if (seen.has(vf)) continue;
      c.vfs.delete(vf);
      c.rates.forget(vf);
    }
  }

  pf(id: string): ObservedPf | undefined {
    return this.pfs.get(id);
  }

  vf(pf: string, vf: number): ObservedVf | undefined {
    return this.pfs.get(pf)?.vfs.find((v) => v.vf === vf);
  }

  pfCounters(id: string): VfCounters | null {
    const c = this.counters.get(id);
    return c ? { ...c.pf.value } : null;
  }

  vfCounters(pf: string, vf: number): VfCounters | null {
    const m = this.counters.get(pf)?.vfs.get(vf);
    return m ? { ...m.value } : null;
  }

  /** PFs whose counters were read, in the order first seen. */
  counterPfs(): string[] {
    return [...this.counters.keys()];
  }

  /** Every VF the last stats read saw, with its counters. */
  *vfSamples(): Iterable<CounterSample> {
    for (const [pf, c] of this.counters) {
      // An index per PF: vf() searches the PF's VFs, which per VF is quadratic at 256 a PF.
      const addr = new Map((this.pfs.get(pf)?.vfs ?? []).map((v) => [v.vf, v.pciAddr]));
      for (const [vf, m] of c.vfs) yield { pf, vf, pciAddr: addr.get(vf), counters: m.value };
    }
  }

  /** Rates of one VF over the kept window, sampled after `sinceMs`. */
  history(pf: string, vf: number, sinceMs?: number): RateWindow {
    const rates = this.counters.get(pf)?.rates;
    return rates ? rates.window(vf, sinceMs) : new RateHistory(1).window(vf);
  }

  /** Samples of rate history kept per VF. */
  get historySamples(): number {
    return this.capacity;
  }
}
