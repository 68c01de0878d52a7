import type { EswitchRule, RuleAction } from '../../model/index.js';
import { CHAIN_FORWARD, CHAIN_SOURCE, CHAIN_TX, CHAIN_VLAN } from './classes.js';
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
 * Chain 1: VLAN anti-spoof. A port-VLAN or untagged VF may not send frames tagged with its
 * protocol (a guest-tagged frame on a port VLAN would hop VLANs inside the NIC's tag); a
 * trunk sends only its VLANs. Without anti-spoof everything goes on.
 */
function vlanChain(v: VfView): EswitchRule[] {
  const base = { owner: ownerOf(v), port: v.port, chain: CHAIN_VLAN };
  const next: RuleAction[] = [{ kind: 'goto', chain: CHAIN_TX }];
  const drop: RuleAction[] = [{ kind: 'drop' }];
  const counter = 'spoofed' as const;
  if (!v.vlanAntiSpoof || v.mode === 'transparent') {
    return [catchAll({ ...base, actions: next, why: 'no VLAN anti-spoof' })];
  }
  if (v.mode === 'trunk') {
    return [
      ...v.vlans.map((vid) =>
        rule({
          ...base,
          prio: prioFor(PRIO_FIRST, v.proto),
          slug: `vlan/${v.proto}/${vid}`,
          match: { protocol: v.proto, vlanId: vid },
          actions: next,
          why: `VLAN ${vid} (${v.proto}) is in the trunk`,
        }),
      ),
      catchAll({ ...base, actions: drop, why: 'VLAN anti-spoof: not a trunk VLAN', counter }),
    ];
  }
  const mine = v.mode === 'port' ? `port VLAN ${v.vlans[0]}` : 'untagged VF';
  return [
    rule({
      ...base,
      prio: prioFor(PRIO_FIRST, v.proto),
      slug: `tagged/${v.proto}`,
      match: { protocol: v.proto },
      actions: drop,
      why: `VLAN anti-spoof: ${mine}, the guest may not tag (${v.proto})`,
      counter,
    }),
    catchAll({ ...base, actions: next, why: 'untagged from the guest' }),
  ];
}

/** Chain 2: rate limit, then the port VLAN's tag, then the copy of what the VF sends. */
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
  if (v.mirrorOut) {
    actions.push({ kind: 'mirror', to: v.mirrorOut, counter: 'mirrored', of: v.port });
    why.push(`copy to ${v.mirrorOut}`);
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

/** The checks and actions on what a VF sends, before forwarding (chains 0-2). */
export function sourceRules(v: VfView): EswitchRule[] {
  return [...sourceChain(v), ...vlanChain(v), txChain(v)];
}
