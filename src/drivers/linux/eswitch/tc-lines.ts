import { createHash } from 'node:crypto';
import {
  type EswitchPort,
  type EswitchRule,
  type EtherType,
  type RuleAction,
  type RuleMatch,
  ruleLabel,
} from '../../../model/index.js';
import {
  CHAIN_FORWARD,
  CHAIN_LENGTH,
  CHAIN_SOURCE,
  CHAIN_TX,
  CHAIN_VLAN,
} from '../../../policy/eswitch/classes.js';

/**
 * Compiled eswitch rules as `tc` batch lines (pure). One rule is one flower filter on the
 * clsact ingress of its port's netdev, at the rule's chain and prio, with a handle the
 * ledger chose, so it can be found, replaced and deleted again:
 *
 *   filter replace dev pf0vf3 ingress chain 1 prio 11 handle 4 protocol 802.1Q flower
 *     skip_hw vlan_id 100 action goto chain 2 cookie 6e76…
 *
 * `replace` both installs and changes (atomic in the kernel). The last action carries a
 * cookie: a digest of the rule's id and of its line, so a read-back tells nicvisor's rules
 * (unchanged) from anything else on the port.
 */

/** Which datapaths a filter may run in: `skip_hw` (software only, e.g. veth), `skip_sw`, both. */
export type TcPlacement = 'skip_hw' | 'skip_sw' | 'both';

/** Where one filter lives in the kernel. */
export interface TcPlace {
  dev: string;
  chain: number;
  prio: number;
  handle: number;
  protocol: string;
}

/** Port → netdev; throws for a port without one (a missing representor). */
export type DevOf = (port: EswitchPort) => string;

/**
 * Chains one PF's uplink rules take on a bond that the members of a hardware VF-LAG share
 * (linux: both members' uplink rules hang on the bond's clsact): member k's rules are at
 * chain + k × LAG_CHAIN_SPAN, so the two rule sets never meet. Compiled chains are below
 * 0x4000 (policy/eswitch/classes.ts).
 */
export const LAG_CHAIN_SPAN = 0x10000;

/** The protocol word `tc` takes for a match's outer ethertype. */
export function tcProtocol(p: RuleMatch['protocol']): string {
  return p === 'all' ? 'all' : ethType(p);
}

function ethType(t: EtherType): string {
  if (typeof t === 'number') return `0x${t.toString(16).padStart(4, '0')}`;
  return t === 'ipv4' ? 'ip' : t;
}

const KEYS: [keyof RuleMatch, string][] = [
  ['dstMac', 'dst_mac'],
  ['srcMac', 'src_mac'],
  ['vlanId', 'vlan_id'],
  ['vlanPrio', 'vlan_prio'],
  ['vlanEthType', 'vlan_ethtype'],
  ['cvlanId', 'cvlan_id'],
  ['cvlanPrio', 'cvlan_prio'],
  ['cvlanEthType', 'cvlan_ethtype'],
];

export function flowerKeys(m: RuleMatch): string {
  const parts: string[] = [];
  for (const [key, word] of KEYS) {
    const v = m[key];
    if (v === undefined) continue;
    parts.push(word, key.endsWith('EthType') ? ethType(v as EtherType) : String(v));
  }
  return parts.join(' ');
}

/**
 * One action as `tc` spells it. Control words are explicit: `pipe` for actions that go on,
 * redirect ends the list (the kernel's `stolen`). A monitoring copy is a plain mirred:
 * which VF counter it feeds is nicvisor's bookkeeping, not the kernel's.
 */
export function tcAction(a: RuleAction, devOf: DevOf, chainShift = 0): string {
  switch (a.kind) {
    case 'vlanPush':
      return `vlan push id ${a.id} priority ${a.prio} protocol ${a.proto} pipe`;
    case 'vlanPop':
      return 'vlan pop pipe';
    case 'mirror':
      return `mirred egress mirror dev ${devOf(a.to)} pipe`;
    case 'redirect':
      return `mirred egress redirect dev ${devOf(a.to)}`;
    case 'drop':
      return 'drop';
    case 'police':
      return `police rate ${a.rateMbps}mbit burst ${a.burstBytes} conform-exceed drop/pipe`;
    case 'policeMtu':
      // Software TC counts the frame with its MAC header (tcf_police_mtu_check adds mac_len
      // at ingress) but without an outer VLAN tag, which the kernel moved into the skb's
      // metadata before TC ran: a tagged frame gets 4 bytes more there (lab-tested).
      return `police mtu ${a.mtu} conform-exceed drop/pipe`;
    case 'goto':
      return `goto chain ${a.chain + chainShift}`;
  }
}

function body(rule: EswitchRule, devOf: DevOf, placement: TcPlacement, shift: number): string {
  const keys = flowerKeys(rule.match);
  const flag = placement === 'both' ? '' : ` ${placement}`;
  const actions = rule.actions.map((a) => `action ${tcAction(a, devOf, shift)}`).join(' ');
  return `protocol ${tcProtocol(rule.match.protocol)} flower${flag}${keys ? ` ${keys}` : ''} ${actions}`;
}

/** 16 bytes (TC_COOKIE_MAX_SIZE) of sha256 over the rule's id and its tc line. */
export function ruleCookie(
  rule: EswitchRule,
  devOf: DevOf,
  placement: TcPlacement,
  shift = 0,
): string {
  const line = body(rule, devOf, placement, shift);
  const text = `${rule.id}\n${devOf(rule.port)} ${rule.chain + shift} ${rule.prio} ${line}`;
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

function where(p: Omit<TcPlace, 'protocol'>): string {
  return `dev ${p.dev} ingress chain ${p.chain} prio ${p.prio} handle ${p.handle}`;
}

/**
 * `filter replace` of one rule at its place: installs it, or changes the filter there in
 * one step. Equivalent to: `tc filter replace dev DEV ingress chain C prio P handle H …`.
 * `shift` moves the rule and its gotos to other chains (LAG_CHAIN_SPAN).
 */
export function replaceLine(
  rule: EswitchRule,
  handle: number,
  devOf: DevOf,
  placement: TcPlacement,
  shift = 0,
): { line: string; cookie: string; place: TcPlace } {
  const place: TcPlace = {
    dev: devOf(rule.port),
    chain: rule.chain + shift,
    prio: rule.prio,
    handle,
    protocol: tcProtocol(rule.match.protocol),
  };
  const cookie = ruleCookie(rule, devOf, placement, shift);
  const line = `filter replace ${where(place)} ${body(rule, devOf, placement, shift)} cookie ${cookie}`;
  return { line, cookie, place };
}

/** Equivalent to: `tc filter del dev DEV ingress chain C prio P handle H protocol X flower`. */
export function deleteLine(p: TcPlace): string {
  return `filter del ${where(p)} protocol ${p.protocol} flower`;
}

/** Equivalent to: `tc qdisc add dev DEV clsact` (the hook every port's rules hang on). */
export function clsactLine(dev: string): string {
  return `qdisc add dev ${dev} clsact`;
}

/** Equivalent to: `tc -s -j filter show dev DEV ingress` (every chain). */
export function showLine(dev: string): string {
  return `filter show dev ${dev} ingress`;
}

/** A rule in messages, with the VF it belongs to and the policy field it comes from. */
export function ruleWho(rule: EswitchRule): string {
  const owner = rule.owner === 'pf' ? 'the PF' : `vf ${rule.owner.vf} (${rule.owner.name})`;
  return `${owner}, field ${ruleField(rule)}, rule ${ruleLabel(rule)}`;
}

/**
 * The policy field a rule enforces, from its place (policy/eswitch/README: chain 0 MAC
 * anti-spoof, 1 VLAN anti-spoof, 2 the length limit, 3 rate and port VLAN; higher chains
 * switch between ports).
 */
export function ruleField(rule: EswitchRule): string {
  if (rule.port.startsWith('vf') && rule.owner !== 'pf') {
    if (rule.chain === CHAIN_SOURCE) return 'macs/macAntiSpoof';
    if (rule.chain === CHAIN_VLAN) return 'vlans/vlanAntiSpoof';
    if (rule.chain === CHAIN_LENGTH) return 'mtu';
    if (rule.chain === CHAIN_TX) {
      return rule.actions.some((a) => a.kind === 'police') ? 'maxTxRate' : 'vlans';
    }
  }
  const copies = (a: RuleAction) => (a.kind === 'mirror' || a.kind === 'redirect') && !!a.counter;
  if (rule.actions.some(copies)) return 'mirror';
  if (rule.match.dstMac === 'ff:ff:ff:ff:ff:ff') return 'allowBroadcast';
  if (rule.match.dstMac?.includes('/')) return 'allowMulticast';
  if (rule.id.includes('/class/')) return 'vlans';
  if (rule.id.includes('/mac/')) return 'macs';
  return rule.chain === CHAIN_FORWARD ? 'loopback' : 'allowUnknownUnicast';
}
