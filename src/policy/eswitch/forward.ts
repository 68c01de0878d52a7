import type { EswitchPort, EswitchRule } from '../../model/index.js';
import {
  accepts,
  CHAIN_FORWARD,
  classChain,
  classLabel,
  popsFor,
  type TagClass,
} from './classes.js';
import { type Delivery, deliveryActions, type SentCopy } from './deliver.js';
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
  c: TagClass,
): EswitchRule[] {
  const chain = classChain(c);
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
  const where = classLabel(c);
  const bcast = flood((x) => x.acceptBroadcast);
  const mcast = flood((x) => x.acceptMulticast);
  const unknown = flood((x) => x.acceptUnknown);
  const out: EswitchRule[] = [
    rule({
      owner: PF_OWNER,
      port,
      chain,
      prio: PRIO_BROADCAST,
      slug: 'bcast',
      match: { dstMac: BROADCAST_MAC },
      actions: deliver(bcast),
      why: `broadcast, ${where}: to ${names(bcast)}`,
    }),
    rule({
      owner: PF_OWNER,
      port,
      chain,
      prio: PRIO_MULTICAST,
      slug: 'mcast',
      match: { dstMac: MULTICAST_MAC },
      actions: deliver(mcast),
      why: `multicast, ${where}: to ${names(mcast)}`,
    }),
  ];
  for (const [mac, x] of sw.owners) {
    const base = { port, chain, prio: PRIO_UNICAST, slug: `mac/${mac}`, match: { dstMac: mac } };
    if (x !== src && taking.has(x)) {
      const actions = deliver([delivery(x, c)]);
      out.push(rule({ ...base, owner: PF_OWNER, actions, why: `${mac} is ${x.name}'s, ${where}` }));
      continue;
    }
    // The sender's own MAC, or an owner whose VLAN filter refuses the class: dropped here,
    // never flooded (the sender's txDropped; from the wire, the PF's rxDropped).
    const why = `${mac} is ${x.name}'s, which ${x === src ? 'is the sender' : `refuses ${where}`}`;
    const counter = src ? ('txDropped' as const) : undefined;
    out.push(rule({ ...base, owner: PF_OWNER, actions: [{ kind: 'drop' }], why, counter }));
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
 * Dispatch into the class chains: by outer VID of each protocol, then any other VID of
 * it, then untagged. `classes` are those the port can emit; a single class needs no test.
 * With loopback off a VF's frames all go to the wire (the external switch may hairpin).
 */
export function dispatchRules(
  sw: SwitchView,
  port: EswitchPort,
  src: VfView | null,
  classes: readonly TagClass[],
  chain = CHAIN_FORWARD,
): EswitchRule[] {
  const owner = PF_OWNER;
  if (src && !sw.loopback) {
    const actions = deliveryActions([{ to: 'uplink', pop: false, monitor: null }], sentCopy(src));
    return [catchAll({ owner, port, chain, actions, why: 'loopback off: all to the wire' })];
  }
  const target = (c: TagClass) => [{ kind: 'goto', chain: classChain(c) } as const];
  if (classes.length === 1) {
    const c = classes[0];
    return [catchAll({ owner, port, chain, actions: target(c), why: `${classLabel(c)} only` })];
  }
  const out: EswitchRule[] = [];
  let untagged: TagClass | undefined;
  for (const c of classes) {
    if (c.proto === null) {
      untagged = c;
      continue;
    }
    const specific = c.vid !== null;
    out.push(
      rule({
        owner,
        port,
        chain,
        prio: prioFor(specific ? PRIO_FIRST : PRIO_FIRST + 10, c.proto),
        slug: `class/${c.proto}/${c.vid ?? 'other'}`,
        match: specific ? { protocol: c.proto, vlanId: c.vid! } : { protocol: c.proto },
        actions: target(c),
        why: classLabel(c),
      }),
    );
  }
  const end = untagged
    ? { actions: target(untagged), why: 'untagged' }
    : { actions: [{ kind: 'drop' } as const], why: 'no other frame passes the VLAN checks' };
  out.push(catchAll({ owner, port, chain, ...end }));
  return out;
}
