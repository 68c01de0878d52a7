import type { EswitchPort, EswitchRule } from '../../model/index.js';
import { accepts, CHAIN_FORWARD, classChain, classLabel, type TagClass } from './classes.js';
import { type Delivery, deliveryActions } from './deliver.js';
import {
  BROADCAST_MAC,
  catchAll,
  listPorts,
  MULTICAST_MAC,
  ownerOf,
  PF_OWNER,
  PRIO_FIRST,
  prioFor,
  rule,
} from './rule.js';
import type { VfView } from './view.js';

/** What forwarding needs to know about the PF. */
export interface SwitchView {
  vfs: readonly VfView[];
  classes: readonly TagClass[];
  /** Destination MAC → the VF that owns it; the lowest VF index wins a MAC two VFs claim. */
  owners: ReadonlyMap<string, VfView>;
  loopback: boolean;
}

export function macOwners(vfs: readonly VfView[]): Map<string, VfView> {
  const owners = new Map<string, VfView>();
  for (const v of [...vfs].sort((a, b) => a.vf - b.vf))
    for (const m of v.macs) if (!owners.has(m)) owners.set(m, v);
  return owners;
}

function delivery(x: VfView, c: TagClass): Delivery {
  return { to: x.port, pop: x.strip && c.proto === x.proto, monitor: x.mirrorIn };
}

const PRIO_BROADCAST = PRIO_FIRST;
const PRIO_MULTICAST = PRIO_FIRST + 10;
const PRIO_UNICAST = PRIO_FIRST + 20;

/**
 * The forwarding chain of one class on one port (`src` null: the uplink), as the VEB
 * switches: broadcast and multicast to every VF that takes the class and the frame kind,
 * unicast to the VF owning the destination MAC if it takes the class, anything else
 * (unknown, or the sender's own MAC) to the VFs that take unknown unicast. A frame from a
 * VF always goes out on the wire too, except when a VF took its unicast.
 */
export function classRules(
  sw: SwitchView,
  port: EswitchPort,
  src: VfView | null,
  c: TagClass,
): EswitchRule[] {
  const chain = classChain(c);
  const takers = sw.vfs.filter((x) => x !== src && accepts(x, c));
  const taking = new Set(takers);
  const wire: Delivery[] = src ? [{ to: 'uplink', pop: false, monitor: null }] : [];
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
      actions: deliveryActions(bcast),
      why: `broadcast, ${where}: to ${names(bcast)}`,
    }),
    rule({
      owner: PF_OWNER,
      port,
      chain,
      prio: PRIO_MULTICAST,
      slug: 'mcast',
      match: { dstMac: MULTICAST_MAC },
      actions: deliveryActions(mcast),
      why: `multicast, ${where}: to ${names(mcast)}`,
    }),
  ];
  for (const [mac, x] of sw.owners) {
    if (x === src || !taking.has(x)) continue;
    out.push(
      rule({
        owner: ownerOf(x),
        port,
        chain,
        prio: PRIO_UNICAST,
        slug: `mac/${mac}`,
        match: { dstMac: mac },
        actions: deliveryActions([delivery(x, c)]),
        why: `${mac} is ${x.name}'s, ${where}`,
      }),
    );
  }
  out.push(
    catchAll({
      owner: PF_OWNER,
      port,
      chain,
      actions: deliveryActions(unknown),
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
    const actions = [{ kind: 'redirect', to: 'uplink' } as const];
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
