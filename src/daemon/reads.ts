/**
 * The daemon's read operations that are not views of one object: counters, rates, health.
 * Served from what the daemon keeps in memory; none calls the driver.
 */
import type { HealthView, StatsView, VfHistory } from '../model/index.js';
import { type Running, VERSION } from './assemble.js';
import { notFound } from './errors.js';

const uptime = (r: Running) => Math.round((Date.now() - r.startedAt) / 1000);

export function statsView(r: Running): StatsView {
  const state = r.store.state();
  return {
    at: r.observed.countersAt,
    intervalMs: r.stats.intervalMs,
    pfs: r.observed.counterPfs().map((id) => ({ id, counters: r.observed.pfCounters(id)! })),
    vfs: [...state.policies.values()].flatMap((p) => {
      const counters = r.observed.vfCounters(p.pf, p.vf);
      return counters ? [{ name: p.name, pf: p.pf, vf: p.vf, counters }] : [];
    }),
    daemon: {
      driverApplySteps: r.driver.writes,
      reconciles: r.reconciler.reconciles,
      repairs: r.status.totalRepairs(),
      guestDecisions: { ...r.guests.counts },
      rssBytes: process.memoryUsage.rss(),
      uptimeSeconds: uptime(r),
    },
  };
}

/** Rates of one VF over the last minutes (samples after `sinceMs`), for the plots. */
export function historyView(r: Running, name: string, sinceMs?: number): VfHistory {
  const p = r.store.state().policies.get(name);
  if (!p) throw notFound(name);
  const w = r.observed.history(p.pf, p.vf, sinceMs);
  const intervalMs = r.stats.intervalMs;
  return {
    name,
    intervalMs,
    windowSeconds: Math.round((r.observed.historySamples * intervalMs) / 1000),
    t: w.t,
    ...w.series,
  };
}

export function healthView(r: Running): HealthView {
  const all = r.status.all();
  const failed = all.filter((s) => s.syncState === 'failed').length;
  const refused = r.store.refused();
  return {
    status: failed > 0 || refused ? 'degraded' : 'ok',
    version: VERSION,
    driver: r.driver.name,
    uptimeSeconds: uptime(r),
    vfs: r.store.state().policies.size,
    inSync: all.filter((s) => s.syncState === 'in-sync').length,
    failed,
    driverApplySteps: r.driver.writes,
    refused,
  };
}
