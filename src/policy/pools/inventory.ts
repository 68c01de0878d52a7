/**
 * What holds each VF of a pool, and which MACs a new claim must not take. Pure: built from
 * the stored VF policies, the claims ledger and the VFs as last read from the NIC.
 */
import {
  type Claim,
  type MainConfig,
  normaliseMac,
  type ObservedPf,
  type Pool,
  type VfPolicy,
  vfKey,
  ZERO_MAC,
} from '../../model/index.js';
import { claimIdOfPolicy, poolMembers, poolPfs } from './members.js';
import type { Slot } from './placement.js';

/**
 * Every VF of the pool with its holder: a claim of the ledger (also one whose policy is not
 * written yet: the ledger reserves first), else any VF policy on it (an operator's static
 * VF, or a claim policy the ledger no longer knows, which recovery removes).
 */
export function poolSlots(
  pool: Pool,
  config: Pick<MainConfig, 'pfs'>,
  policies: Iterable<VfPolicy>,
  claims: readonly Claim[],
): Slot[] {
  const byClaim = new Map(claims.map((c) => [vfKey(c.pf, c.vf), c.id]));
  const byPolicy = new Map<string, string>();
  for (const p of policies) byPolicy.set(vfKey(p.pf, p.vf), p.name);
  return poolMembers(pool, config).map((m) => {
    const k = vfKey(m.pf, m.vf);
    const claim = byClaim.get(k);
    const policy = byPolicy.get(k);
    const holder = claim
      ? { kind: 'claim' as const, claim }
      : policy
        ? claimIdOfPolicy(policy)
          ? { kind: 'claim' as const, claim: claimIdOfPolicy(policy)! }
          : { kind: 'policy' as const, name: policy }
        : null;
    return { ...m, holder };
  });
}

/** The PFs whose MACs must stay unique with a claim of `pool`: its own and its network's. */
export function networkPfs(pool: Pool, pools: readonly Pool[]): Set<string> {
  const out = new Set(poolPfs(pool).map((p) => p.pf));
  for (const p of pools)
    if (p.physicalNetwork === pool.physicalNetwork) for (const x of poolPfs(p)) out.add(x.pf);
  return out;
}

/**
 * MACs in use on those PFs: claims of the network, static policies, and what the NIC shows
 * on every VF (free VFs keep the MAC their last user left, sriov-network-device-plugin#685),
 * except the VF being claimed (its old MAC is about to be replaced).
 */
export function macsInUse(
  pfs: ReadonlySet<string>,
  policies: Iterable<VfPolicy>,
  claims: readonly Claim[],
  observed: readonly ObservedPf[],
  except?: { pf: string; vf: number },
): Set<string> {
  const out = new Set<string>();
  const add = (m: string) => {
    const n = normaliseMac(m);
    if (n !== ZERO_MAC) out.add(n);
  };
  for (const c of claims) if (pfs.has(c.pf)) add(c.mac);
  for (const p of policies) if (pfs.has(p.pf)) for (const m of p.macs) add(m);
  for (const pf of observed) {
    if (!pfs.has(pf.id)) continue;
    for (const v of pf.vfs) {
      if (except && except.pf === pf.id && except.vf === v.vf) continue;
      add(v.settings.mac);
      for (const m of v.settings.macFilters) add(m);
    }
  }
  return out;
}
