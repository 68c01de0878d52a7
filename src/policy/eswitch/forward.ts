import type { EswitchPort, EswitchRule, RuleAction } from '../../model/index.js';
import { accepts, CHAIN_FORWARD, classLabel, popsFor, type TagClass } from './classes.js';
import { type Delivery, deliveryActions, type SentCopy } from './deliver.js';
import type { ClassGroup } from './groups.js';
import {
  BROADCAST_MAC,
  catchAll,
  listPorts,
  MULTICAST_MAC,
  PF_OWNER,
  PRIO_FIRST,
  prioFor,
  rule,
} from './rule.js';
import type { VfView } from './view.js';

/** What forwarding needs to know about the PF. */
export interface SwitchView {
  /** Every port that takes frames from the switch: the VFs with a policy, and the host. */
  ports: readonly VfView[];
  classes: readonly TagClass[];
  /** Destination MAC → the port that owns it. */
  owners: ReadonlyMap<string, VfView>;
  loopback: boolean;
}

/** The host's MAC comes first (igb keeps it in RAR[0]), then the lowest VF index wins. */
export function macOwners(ports: readonly VfView[]): Map<string, VfView> {
  const owners = new Map<string, VfView>();
  for (const v of [...ports].sort((a, b) => a.vf - b.vf))
    for (const m of v.macs) if (!owners.has(m)) owners.set(m, v);
  return owners;
}

function delivery(x: VfView, c: TagClass): Delivery {
  return { to: x.port, pop: popsFor(x, c), monitor: x.mirrorIn };
}

/** The copy of what a VF sends, where it mirrors `out` or `all`. */
function sentCopy(src: VfView | null): SentCopy | null {
  return src?.mirrorOut ? { to: src.mirrorOut, of: src.port } : null;
}

const DROP: RuleAction[] = [{ kind: 'drop' }];
const PRIO_BROADCAST = PRIO_FIRST;
const PRIO_MULTICAST = PRIO_FIRST + 10;
const PRIO_UNICAST = PRIO_FIRST + 20;

/**
 * The forwarding chain of one class on one port (`src` null: the uplink), as the VEB
 * switches: broadcast and multicast to every port that takes the class and the frame kind
 * (and the wire, from a local sender); a destination MAC a port owns only to that port, or
 * nowhere when its VLAN filter refuses the class or it is the sender (a local frame never
 * leaks to the wire); any other unicast to the ports that take unknown unicast, and the wire.
 */
export function classRules(
  sw: SwitchView,
  port: EswitchPort,
  src: VfView | null,
  group: ClassGroup,
): EswitchRule[] {
  const { chain, label: where } = group;
  // Every class of the group is taken and stripped alike: the first stands for all.
  const c = group.classes[0];
  const takers = sw.ports.filter((x) => x !== src && accepts(x, c));
  const taking = new Set(takers);
  const wire: Delivery[] = src ? [{ to: 'uplink', pop: false, monitor: null }] : [];
  const sent = sentCopy(src);
  const deliver = (ds: Delivery[]) => deliveryActions(ds, sent);
  const flood = (pick: (x: VfView) => boolean) => [
    ...wire,
    ...takers.filter(pick).map((x) => delivery(x, c)),
  ];
  const names = (ds: Delivery[]) => listPorts(ds.map((d) => d.to));
  const bcast = flood((x) => x.acceptBroadcast);
  const mcast = flood((x) => x.acceptMulticast);
  const unknown = flood((x) => x.acceptUnknown);
  const floodRule = (prio: number, slug: string, dstMac: string, ds: Delivery[], what: string) =>
    rule({
      owner: PF_OWNER,
      port,
      chain,
      prio,
      slug,
      match: { dstMac },
      actions: deliver(ds),
      why: `${what}, ${where}: to ${names(ds)}`,
    });
  const out: EswitchRule[] = [
    floodRule(PRIO_BROADCAST, 'bcast', BROADCAST_MAC, bcast, 'broadcast'),
    floodRule(PRIO_MULTICAST, 'mcast', MULTICAST_MAC, mcast, 'multicast'),
  ];
  // From the wire, a refused local MAC needs no rule of its own when unknown unicast of the
  // group goes nowhere anyway: the catch-all drops it just the same.
  const dropsNeeded = src !== null || unknown.length > 0;
  const actionsFor = new Map<VfView, RuleAction[]>();
  for (const [mac, x] of sw.owners) {
    const taken = x !== src && taking.has(x);
    if (!taken && !dropsNeeded) continue;
    let actions = actionsFor.get(x);
    if (!actions) {
      actions = taken ? deliver([delivery(x, c)]) : DROP;
      actionsFor.set(x, actions);
    }
    // The sender's own MAC, or an owner whose VLAN filter refuses the class: dropped here,
    // never flooded (the sender's txDropped; from the wire, the PF's rxDropped).
    const refused = x === src ? 'is the sender' : `refuses ${where}`;
    const r: EswitchRule = {
      id: `${port}/${chain}/mac/${mac}`,
      owner: PF_OWNER,
      port,
      chain,
      prio: PRIO_UNICAST,
      match: { protocol: 'all', dstMac: mac },
      actions,
      why: taken ? `${mac} is ${x.name}'s, ${where}` : `${mac} is ${x.name}'s, which ${refused}`,
    };
    if (!taken && src) r.counter = 'txDropped';
    out.push(r);
  }
  out.push(
    catchAll({
      owner: PF_OWNER,
      port,
      chain,
      actions: deliver(unknown),
      why: `unknown unicast, ${where}: to ${names(unknown)}`,
    }),
  );
  return out;
}

/**
 * Dispatch into the group chains: by outer VID of each protocol, then any other VID of it,
 * then untagged. A test that would lead where the next one leads anyway is left out (a
 * VLAN switched like the protocol's other VLANs, a protocol switched like untagged frames),
 * and a port with one group needs no test. With loopback off a VF's frames all go to the
 * wire (the external switch may hairpin them).
 */
export function dispatchRules(
  sw: SwitchView,
  port: EswitchPort,
  src: VfView | null,
  groups: readonly ClassGroup[],
  chain = CHAIN_FORWARD,
): EswitchRule[] {
  const owner = PF_OWNER;
  if (src && !sw.loopback) {
    const actions = deliveryActions([{ to: 'uplink', pop: false, monitor: null }], sentCopy(src));
    return [catchAll({ owner, port, chain, actions, why: 'loopback off: all to the wire' })];
  }
  const goto = (g: ClassGroup) => [{ kind: 'goto', chain: g.chain } as const];
  if (groups.length === 1) {
    const g = groups[0];
    return [catchAll({ owner, port, chain, actions: goto(g), why: `${g.label} only` })];
  }
  const groupOf = new Map<string, ClassGroup>();
  for (const g of groups) for (const c of g.classes) groupOf.set(`${c.proto}/${c.vid}`, g);
  const untagged = groupOf.get('null/null');
  const out: EswitchRule[] = [];
  for (const proto of ['802.1Q', '802.1ad'] as const) {
    const other = groupOf.get(`${proto}/null`);
    // Frames no rule of this protocol takes fall to the catch-all (untagged).
    const fallback = other && other !== untagged ? other : untagged;
    for (const g of groups) {
      for (const c of g.classes) {
        if (c.proto !== proto) continue;
        const specific = c.vid !== null;
        if (g === (specific ? fallback : untagged)) continue;
        out.push(
          rule({
            owner,
            port,
            chain,
            prio: prioFor(specific ? PRIO_FIRST : PRIO_FIRST + 10, proto),
            slug: `class/${proto}/${c.vid ?? 'other'}`,
            match: specific ? { protocol: proto, vlanId: c.vid! } : { protocol: proto },
            actions: goto(g),
            why: classLabel(c),
          }),
        );
      }
    }
  }
  const end = untagged
    ? { actions: goto(untagged), why: untagged.label }
    : { actions: [{ kind: 'drop' } as const], why: 'no other frame passes the VLAN checks' };
  out.push(catchAll({ owner, port, chain, ...end }));
  return out;
}
