import type { EswitchRule, RuleAction } from '../../model/index.js';
import { CHAIN_FORWARD, CHAIN_LENGTH, CHAIN_SOURCE, CHAIN_TX, CHAIN_VLAN } from './classes.js';
import { catchAll, ownerOf, PRIO_FIRST, prioFor, rule } from './rule.js';
import type { VfView } from './view.js';

/** Bucket of a VF's rate limit: 1 ms of its rate, never less than one jumbo frame. */
export function policeBurst(mbps: number): number {
  return Math.max(mbps * 125, 9216 + 26);
}

/** Chain 0: MAC anti-spoof, every own MAC may send, any other source is spoofed. */
function sourceChain(v: VfView): EswitchRule[] {
  const base = { owner: ownerOf(v), port: v.port, chain: CHAIN_SOURCE };
  const next: RuleAction[] = [{ kind: 'goto', chain: CHAIN_VLAN }];
  if (!v.macAntiSpoof) return [catchAll({ ...base, actions: next, why: 'no MAC anti-spoof' })];
  return [
    ...v.macs.map((m) =>
      rule({
        ...base,
        prio: PRIO_FIRST,
        slug: `src/${m}`,
        match: { srcMac: m },
        actions: next,
        why: `source ${m} is ${v.name}'s own`,
      }),
    ),
    catchAll({
      ...base,
      actions: [{ kind: 'drop' }],
      why: 'MAC anti-spoof: any other source MAC',
      counter: 'spoofed',
    }),
  ];
}

/**
 * Chain 1: VLAN anti-spoof. A port-VLAN VF may not send frames tagged with its protocol
 * (priority tags included: a guest tag inside the NIC's would hop VLANs); any other VF sends
 * untagged and priority-tagged frames and its member VIDs. Without anti-spoof all goes on.
 */
function vlanChain(v: VfView): EswitchRule[] {
  const base = { owner: ownerOf(v), port: v.port, chain: CHAIN_VLAN };
  const next: RuleAction[] = [{ kind: 'goto', chain: CHAIN_LENGTH }];
  if (!v.vlanAntiSpoof) return [catchAll({ ...base, actions: next, why: 'no VLAN anti-spoof' })];
  const allowed = v.mode === 'port' ? [] : [0, ...v.vlans];
  const what =
    v.mode === 'port' ? `port VLAN ${v.vlans[0]}: the guest may not tag` : 'not a member VLAN';
  return [
    ...allowed.map((vid) =>
      rule({
        ...base,
        prio: prioFor(PRIO_FIRST, v.proto),
        slug: `vlan/${v.proto}/${vid}`,
        match: { protocol: v.proto, vlanId: vid },
        actions: next,
        why: vid === 0 ? 'priority tag' : `VLAN ${vid} (${v.proto}) is a member VLAN`,
      }),
    ),
    rule({
      ...base,
      prio: prioFor(PRIO_FIRST + 10, v.proto),
      slug: `tagged/${v.proto}`,
      match: { protocol: v.proto },
      actions: [{ kind: 'drop' }],
      why: `VLAN anti-spoof: ${what} (${v.proto})`,
      counter: 'spoofed',
    }),
    catchAll({ ...base, actions: next, why: `untagged, or not tagged ${v.proto}` }),
  ];
}

/**
 * How much longer than its MTU a frame may be: the Ethernet header and one VLAN tag (FCS
 * excluded), the receive length limit of Intel's pools (RLPML) that the sim follows.
 */
export const FRAME_OVER_MTU = 18;

/** Chain 2: the VF's transmit length limit, after the anti-spoof checks. */
function lengthChain(v: VfView): EswitchRule {
  return catchAll({
    owner: ownerOf(v),
    port: v.port,
    chain: CHAIN_LENGTH,
    actions: [
      { kind: 'policeMtu', mtu: v.mtu + FRAME_OVER_MTU },
      { kind: 'goto', chain: CHAIN_TX },
    ],
    why: `frames up to MTU ${v.mtu} + ${FRAME_OVER_MTU} bytes`,
    counter: 'txErrors',
  });
}

/** Chain 3: rate limit, then the port VLAN's tag. */
function txChain(v: VfView): EswitchRule {
  const actions: RuleAction[] = [];
  const why: string[] = [];
  if (v.maxTxRate > 0) {
    actions.push({ kind: 'police', rateMbps: v.maxTxRate, burstBytes: policeBurst(v.maxTxRate) });
    why.push(`rate limit ${v.maxTxRate} Mbps`);
  }
  if (v.mode === 'port') {
    actions.push({ kind: 'vlanPush', id: v.vlans[0], prio: v.qos, proto: v.proto });
    why.push(`tag VLAN ${v.vlans[0]} PCP ${v.qos} (${v.proto})`);
  }
  actions.push({ kind: 'goto', chain: CHAIN_FORWARD });
  return catchAll({
    owner: ownerOf(v),
    port: v.port,
    chain: CHAIN_TX,
    actions,
    why: why.length > 0 ? why.join(', ') : 'to forwarding',
    ...(v.maxTxRate > 0 ? { counter: 'txDropped' as const } : {}),
  });
}

/** The checks and actions on what a VF sends, before forwarding (chains 0-3). */
export function sourceRules(v: VfView): EswitchRule[] {
  return [...sourceChain(v), ...vlanChain(v), lengthChain(v), txChain(v)];
}
