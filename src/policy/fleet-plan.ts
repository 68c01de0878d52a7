/**
 * `nicvisor fleet plan`: per host, what a new set of fleet documents changes and how much it
 * disturbs. Pure. Classes, from the least to the most disruptive:
 *
 * - in-place: VF attributes of a free or consenting VF; applied at once, nobody notices.
 * - visible-to-owner: MAC or VLANs of a VF a guest holds (or deleting it): the owner sees it,
 *   so it needs the owner's consent or `--force`.
 * - pools (kind pool) are in-place: a profile applies to the next claims only.
 * - disruptive: `numVfs`, `eswitchMode` of a PF, or moving a VF to another PF/index: the VFs
 *   concerned are recreated — only those VFs, never the whole host drained.
 */
import type { ConsentNeed, FleetDoc, HostRegistration, HostStatus } from '../model/fleet.js';
import { isRecord } from '../model/index.js';
import { canonical, type HostDoc, hostDesired } from './fleet.js';

export type ChangeClass = 'in-place' | 'visible-to-owner' | 'disruptive';
const RANK: Record<ChangeClass, number> = { 'in-place': 0, 'visible-to-owner': 1, disruptive: 2 };

export interface PlannedChange {
  doc: string;
  /** VF name or PF id. */
  target: string;
  action: 'add' | 'change' | 'delete';
  class: ChangeClass;
  fields: string[];
  /** VFs this change touches on the host (a PF change: the VFs it recreates). */
  vfs: string[];
  /** visible-to-owner: who must consent (`KIND:ID`, `guest:HOST/VF`). */
  owner?: string;
}

export interface HostPlan {
  host: string;
  changes: PlannedChange[];
  /** The worst class of its changes (null: nothing changes). */
  class: ChangeClass | null;
  /** VFs that change: what `maxUnavailable` counts. */
  vfCount: number;
}

const OWNER_VISIBLE = new Set(['macs', 'vlans', 'untagged', 'vlanProto', 'stripOuterTag']);
const VF_DISRUPTIVE = new Set(['pf', 'vf']);
const PF_DISRUPTIVE = new Set(['numVfs', 'eswitchMode', 'totalVfs', 'lag']);

function changedFields(a: unknown, b: unknown): string[] {
  const x = isRecord(a) ? a : {};
  const y = isRecord(b) ? b : {};
  return [...new Set([...Object.keys(x), ...Object.keys(y)])]
    .filter((k) => canonical(x[k]) !== canonical(y[k]))
    .sort();
}

function vfClass(fields: string[], action: PlannedChange['action'], owned: boolean): ChangeClass {
  if (fields.some((f) => VF_DISRUPTIVE.has(f)) && action === 'change') return 'disruptive';
  if (owned && (action === 'delete' || fields.some((f) => OWNER_VISIBLE.has(f))))
    return 'visible-to-owner';
  return 'in-place';
}

function byTarget(docs: HostDoc[]): Map<string, HostDoc> {
  return new Map(docs.map((d) => [d.target, d]));
}

/** VFs on `pf` a host runs under the given VF documents. */
function vfsOn(pf: string, vfs: HostDoc[]): string[] {
  return vfs.filter((d) => isRecord(d.policy) && d.policy.pf === pf).map((d) => d.target);
}

export function planHost(
  host: HostRegistration,
  status: HostStatus | null,
  current: readonly FleetDoc[],
  next: readonly FleetDoc[],
): HostPlan {
  const was = hostDesired(current, host.host, host.labels);
  const will = hostDesired(next, host.host, host.labels);
  const owned = (vf: string) => status?.vfs[vf]?.owned ?? false;
  const ownerOf = (vf: string) => status?.vfs[vf]?.owner ?? `guest:${host.host}/${vf}`;
  const changes: PlannedChange[] = [];
  const [wasVf, willVf] = [byTarget(was.vfs), byTarget(will.vfs)];
  for (const name of new Set([...wasVf.keys(), ...willVf.keys()])) {
    const [a, b] = [wasVf.get(name), willVf.get(name)];
    if (a && b && canonical(a.policy) === canonical(b.policy) && a.network === b.network) continue;
    const action = !a ? 'add' : !b ? 'delete' : 'change';
    const fields = changedFields(a?.policy, b?.policy);
    const cls = vfClass(fields, action, owned(name));
    changes.push({
      doc: (b ?? a)!.key,
      target: name,
      action,
      class: cls,
      fields,
      vfs: [name],
      ...(cls === 'visible-to-owner' ? { owner: ownerOf(name) } : {}),
    });
  }
  const [wasPf, willPf] = [byTarget(was.pfs), byTarget(will.pfs)];
  for (const pf of new Set([...wasPf.keys(), ...willPf.keys()])) {
    const [a, b] = [wasPf.get(pf), willPf.get(pf)];
    if (a && b && canonical(a.policy) === canonical(b.policy)) continue;
    const fields = changedFields(a?.policy, b?.policy);
    const disruptive = fields.some((f) => PF_DISRUPTIVE.has(f));
    changes.push({
      doc: (b ?? a)!.key,
      target: pf,
      action: !a ? 'add' : !b ? 'delete' : 'change',
      class: disruptive ? 'disruptive' : 'in-place',
      fields,
      vfs: disruptive ? vfsOn(pf, will.vfs) : [],
    });
  }
  // A pool's profile is applied when a VF is claimed: existing claims keep theirs, so a pool
  // change never touches a VF.
  const [wasPool, willPool] = [byTarget(was.pools), byTarget(will.pools)];
  for (const name of new Set([...wasPool.keys(), ...willPool.keys()])) {
    const [a, b] = [wasPool.get(name), willPool.get(name)];
    if (a && b && canonical(a.policy) === canonical(b.policy)) continue;
    changes.push({
      doc: (b ?? a)!.key,
      target: name,
      action: !a ? 'add' : !b ? 'delete' : 'change',
      class: 'in-place',
      fields: changedFields(a?.policy, b?.policy),
      vfs: [],
    });
  }
  changes.sort((x, y) => (x.doc < y.doc ? -1 : x.doc > y.doc ? 1 : 0));
  const worst = changes.reduce<ChangeClass | null>(
    (w, c) => (w === null || RANK[c.class] > RANK[w] ? c.class : w),
    null,
  );
  const vfCount = new Set(changes.flatMap((c) => c.vfs)).size;
  return { host: host.host, changes, class: worst, vfCount };
}

/** Who must consent to a plan, per host and owner (what a rollout without --force waits for). */
export function consentNeeds(plan: readonly HostPlan[]): ConsentNeed[] {
  const out = new Map<string, ConsentNeed>();
  for (const h of plan)
    for (const c of h.changes) {
      if (c.class !== 'visible-to-owner' || !c.owner) continue;
      const k = `${h.host}\0${c.owner}`;
      const n = out.get(k) ?? { owner: c.owner, host: h.host, vfs: [], docs: [] };
      n.vfs = [...new Set([...n.vfs, ...c.vfs])].sort();
      n.docs = [...new Set([...n.docs, c.doc])].sort();
      out.set(k, n);
    }
  return [...out.values()];
}

export function planFleet(
  hosts: readonly HostRegistration[],
  statuses: readonly HostStatus[],
  current: readonly FleetDoc[],
  next: readonly FleetDoc[],
): HostPlan[] {
  const st = new Map(statuses.map((s) => [s.host, s]));
  return [...hosts]
    .sort((a, b) => (a.host < b.host ? -1 : 1))
    .map((h) => planHost(h, st.get(h.host) ?? null, current, next));
}
