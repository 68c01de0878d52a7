import type {
  EswitchRule,
  EtherType,
  ObservedRule,
  RuleAction,
  RuleDiff,
  RuleMatch,
} from '../../model/index.js';

/**
 * Rules printed the way `tc filter show` and `tc filter add` spell them, so an operator can
 * read them next to the kernel's view: `vf3 chain 1 prio 11 protocol 802.1Q flower vlan_id
 * 100 action goto chain 2  # VLAN 100 (802.1Q) is in the trunk`.
 */

function ethType(t: EtherType): string {
  return typeof t === 'number' ? `0x${t.toString(16).padStart(4, '0')}` : t;
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

export function formatMatch(m: RuleMatch): string {
  const parts = [`protocol ${m.protocol === 'all' ? 'all' : ethType(m.protocol)}`, 'flower'];
  for (const [key, word] of KEYS) {
    const v = m[key];
    if (v === undefined) continue;
    parts.push(`${word} ${key.endsWith('EthType') ? ethType(v as EtherType) : v}`);
  }
  return parts.join(' ');
}

export function formatAction(a: RuleAction): string {
  switch (a.kind) {
    case 'vlanPush':
      return `vlan push id ${a.id} priority ${a.prio} protocol ${a.proto}`;
    case 'vlanPop':
      return 'vlan pop';
    case 'mirror':
    case 'redirect':
      return `mirred egress ${a.kind} dev ${a.to}${a.counter ? ` (copy of ${a.of ?? 'owner'})` : ''}`;
    case 'drop':
      return 'drop';
    case 'police':
      return `police rate ${a.rateMbps}mbit burst ${a.burstBytes} conform-exceed drop/pipe`;
    case 'policeMtu':
      return `police mtu ${a.mtu} conform-exceed drop/pipe`;
    case 'goto':
      return `goto chain ${a.chain}`;
  }
}

export function formatRule(r: EswitchRule): string {
  const actions = r.actions.map((a) => `action ${formatAction(a)}`).join(' ');
  const role = r.counter ? ` [${r.counter}]` : '';
  return `${r.port} chain ${r.chain} prio ${r.prio} ${formatMatch(r.match)} ${actions}  # ${r.why}${role}`;
}

/** An observed rule with its counters: `… # why  (12 pkts, 768 B, in_hw)`. */
export function formatObservedRule(r: ObservedRule): string {
  const drops = r.drops > 0 ? `, ${r.drops} dropped` : '';
  return `${formatRule(r)}  (${r.packets} pkts, ${r.bytes} B${drops}, ${r.inHw ? 'in_hw' : 'not_in_hw'})`;
}

export function formatDiff(d: RuleDiff): string[] {
  return [
    ...d.add.map((r) => `+ ${formatRule(r)}`),
    ...d.change.map((r) => `~ ${formatRule(r)}`),
    ...d.remove.map((r) => `- ${formatRule(r)}`),
  ];
}
