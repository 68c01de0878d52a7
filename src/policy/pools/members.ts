/**
 * Which VFs a pool holds: pure arithmetic over the pool and the PF policies, shared by the
 * config rules, placement and the views.
 */
import type { MainConfig, Pool, PoolPf } from '../../model/index.js';

/** A pool PF in its object form. */
export function poolPfs(pool: Pool): PoolPf[] {
  return pool.pfs.map((p) => (typeof p === 'string' ? { pf: p } : p));
}

/** The NUMA node of one PF of a pool (its own, else the pool's). */
export function numaOf(pool: Pool, pf: PoolPf): number | undefined {
  return pf.numaNode ?? pool.numaNode;
}

export interface Member {
  pf: string;
  vf: number;
  numaNode?: number;
}

/**
 * The VFs of a pool that exist: its range (default all) below each PF's `numVfs`, minus
 * `exclude`, in PF order then VF order. A PF the config does not manage has none.
 */
export function poolMembers(pool: Pool, config: Pick<MainConfig, 'pfs'>): Member[] {
  const excluded = new Set(pool.exclude);
  const out: Member[] = [];
  for (const p of poolPfs(pool)) {
    const pf = config.pfs.find((x) => x.pf === p.pf);
    if (!pf) continue;
    const from = pool.vfs?.from ?? 0;
    const to = Math.min(pool.vfs?.to ?? pf.numVfs - 1, pf.numVfs - 1);
    const numaNode = numaOf(pool, p);
    for (let vf = from; vf <= to; vf++) {
      if (excluded.has(vf)) continue;
      out.push(numaNode === undefined ? { pf: p.pf, vf } : { pf: p.pf, vf, numaNode });
    }
  }
  return out;
}

/** The name of the VF policy a claim applies (`claim-POOL-N`, a valid VF name). */
export function claimPolicyName(claimId: string): string {
  return `claim-${claimId}`;
}

/** The claim id behind a claim policy name, or null for an operator's policy. */
export function claimIdOfPolicy(name: string): string | null {
  const m = /^claim-([a-z0-9][a-z0-9_-]{0,31}-\d+)$/.exec(name);
  return m ? m[1]! : null;
}
