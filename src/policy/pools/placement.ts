/**
 * Placement: which free VF of a pool a claim gets. Pure (no I/O, no clock): the caller
 * passes every slot of the pool with what holds it, and every claim of the ledger for the
 * anti-affinity groups. Every answer explains itself, a refusal says why nothing fits.
 *
 * Order of the decision: free VFs → anti-affinity (an owner's group never shares a PF,
 * sriov-network-device-plugin#207: a guest bond whose two legs sit on one PF is no bond)
 * → NUMA-local first → PF by the pool's strategy (pack / spread) → lowest VF index.
 */
import type { Claim, ClaimOwner, Pool } from '../../model/index.js';

export type Holder = { kind: 'claim'; claim: string } | { kind: 'policy'; name: string } | null;

export interface Slot {
  pf: string;
  vf: number;
  numaNode?: number;
  holder: Holder;
}

export interface PlaceRequest {
  owner: ClaimOwner;
  group?: string;
  numaNode?: number;
  numaStrict?: boolean;
}

export type Placement =
  | { ok: true; pf: string; vf: number; numaNode?: number; why: string[] }
  | { ok: false; why: string[] };

const sameOwner = (a: ClaimOwner, b: ClaimOwner) => a.kind === b.kind && a.id === b.id;

function describeHeld(pool: Pool, slots: readonly Slot[]): string {
  const claimed = slots.filter((s) => s.holder?.kind === 'claim').length;
  const statics = slots.flatMap((s) => (s.holder?.kind === 'policy' ? [s.holder.name] : []));
  const shown = statics.slice(0, 3).join(', ') + (statics.length > 3 ? ', …' : '');
  return (
    `pool ${pool.name} has ${slots.length} VFs: ${claimed} claimed` +
    (statics.length > 0 ? `, ${statics.length} held by VF policies (${shown})` : '') +
    ', none free; release a claim, widen the pool or raise numVfs'
  );
}

/** Per PF: slots in use and free, in the pool's PF order. */
function pfLoad(slots: readonly Slot[]): Map<string, { used: number; free: number }> {
  const load = new Map<string, { used: number; free: number }>();
  for (const s of slots) {
    const l = load.get(s.pf) ?? { used: 0, free: 0 };
    if (s.holder) l.used++;
    else l.free++;
    load.set(s.pf, l);
  }
  return load;
}

function choosePf(
  pool: Pool,
  candidates: readonly Slot[],
  load: Map<string, { used: number; free: number }>,
): { pf: string; why: string } {
  const pfs = [...new Set(candidates.map((s) => s.pf))];
  const order = [...load.keys()];
  const score = (pf: string) => {
    const l = load.get(pf)!;
    return pool.placement === 'pack' ? [l.used, -l.free] : [l.free, -l.used];
  };
  pfs.sort((a, b) => {
    const [a1, a2] = score(a);
    const [b1, b2] = score(b);
    return b1! - a1! || b2! - a2! || order.indexOf(a) - order.indexOf(b);
  });
  const pf = pfs[0]!;
  const l = load.get(pf)!;
  const why =
    pool.placement === 'pack'
      ? `pack: PF ${pf} has ${l.used} of ${l.used + l.free} VFs in use, the busiest of ${pfs.length} PF(s) with a free VF`
      : `spread: PF ${pf} has ${l.free} of ${l.used + l.free} VFs free, the most of ${pfs.length} PF(s)`;
  return { pf, why };
}

/** Anti-affinity: the PFs where this owner's group already holds a claim. */
function groupPfs(req: PlaceRequest, claims: readonly Claim[]): Set<string> {
  if (!req.group) return new Set();
  return new Set(
    claims.filter((c) => c.group === req.group && sameOwner(c.owner, req.owner)).map((c) => c.pf),
  );
}

export function place(
  pool: Pool,
  slots: readonly Slot[],
  claims: readonly Claim[],
  req: PlaceRequest,
): Placement {
  const why: string[] = [];
  const free = slots.filter((s) => s.holder === null);
  if (slots.length === 0)
    return {
      ok: false,
      why: [
        `pool ${pool.name} has no VFs: its PFs are not managed or their numVfs is below the pool's range; fix pools[].pfs or pfs[].numVfs`,
      ],
    };
  if (free.length === 0) return { ok: false, why: [describeHeld(pool, slots)] };
  why.push(`${free.length} of ${slots.length} VFs of pool ${pool.name} free`);
  let candidates = free;
  const avoid = groupPfs(req, claims);
  if (avoid.size > 0) {
    candidates = candidates.filter((s) => !avoid.has(s.pf));
    const list = [...avoid].join(', ');
    if (candidates.length === 0)
      return {
        ok: false,
        why: [
          ...why,
          `anti-affinity: group ${req.group} of ${req.owner.kind}:${req.owner.id} already holds a claim on ${list}, and every free VF is there; add a PF to the pool or release one of the group's claims`,
        ],
      };
    why.push(`anti-affinity: group ${req.group} already on ${list}, so another PF`);
  }
  if (req.numaNode !== undefined) {
    const local = candidates.filter((s) => s.numaNode === req.numaNode);
    if (local.length > 0) {
      candidates = local;
      why.push(`NUMA node ${req.numaNode}: ${local.length} free VF(s) local`);
    } else if (req.numaStrict) {
      return {
        ok: false,
        why: [
          ...why,
          `NUMA node ${req.numaNode}: no free VF of the pool is local (numaStrict); drop numaStrict or free a VF on node ${req.numaNode}`,
        ],
      };
    } else {
      why.push(`NUMA node ${req.numaNode}: no free VF local, taking one of another node`);
    }
  }
  const { pf, why: pfWhy } = choosePf(pool, candidates, pfLoad(slots));
  why.push(pfWhy);
  const slot = candidates.filter((s) => s.pf === pf).sort((a, b) => a.vf - b.vf)[0]!;
  why.push(`vf ${slot.vf}: the lowest free index on ${pf}`);
  return slot.numaNode === undefined
    ? { ok: true, pf, vf: slot.vf, why }
    : { ok: true, pf, vf: slot.vf, numaNode: slot.numaNode, why };
}
