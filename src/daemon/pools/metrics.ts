/**
 * Pool metrics, registered in the daemon's own registry: capacity / claimed / free per pool
 * (read from the pools at scrape time), claim latency, refusals and reclaimed leaks.
 */

import type { PoolView } from '../../model/index.js';
import { Counter, Gauge, Histogram, type Registry } from '../prom.js';

export class PoolMetrics {
  readonly claimSeconds: Histogram<'pool'>;
  readonly refusals: Counter<'pool'>;
  readonly leaks: Counter<'pool' | 'reason'>;
  readonly unverified: Counter<'pool'>;

  constructor(registry: Registry, views: () => PoolView[]) {
    const registers = [registry];
    const gauge = (name: string, help: string, pick: (v: PoolView) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['pool', 'physicalNetwork'],
        registers,
        collect() {
          this.reset();
          for (const v of views())
            this.set({ pool: v.name, physicalNetwork: v.physicalNetwork }, pick(v));
        },
      });
    gauge('nicvisor_pool_capacity', 'VFs of the pool that exist.', (v) => v.capacity);
    gauge('nicvisor_pool_claimed', 'VFs of the pool held by claims.', (v) => v.claimed);
    gauge('nicvisor_pool_free', 'VFs of the pool a claim can get now.', (v) => v.free);
    this.claimSeconds = new Histogram({
      name: 'nicvisor_pool_claim_seconds',
      help: 'Claim answered (VF chosen, profile applied, VF configured), in seconds.',
      labelNames: ['pool'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.refusals = new Counter({
      name: 'nicvisor_pool_claim_conflicts_total',
      help: 'Claims refused because no VF or MAC of the pool fitted.',
      labelNames: ['pool'],
      registers,
    });
    this.leaks = new Counter({
      name: 'nicvisor_pool_leaks_reclaimed_total',
      help: 'Claims released by the sweeper because their owner was gone (netns, process, lease).',
      labelNames: ['pool', 'reason'],
      registers,
    });
    this.unverified = new Counter({
      name: 'nicvisor_pool_release_unverified_total',
      help: 'Releases after which the VF did not read back as it was before the claim.',
      labelNames: ['pool'],
      registers,
    });
  }
}
