import { z } from 'zod';
import { MAC_RE, VLAN_MAX } from './common.js';

/**
 * The rule set of one PF's embedded switch in switchdev mode, as data: the pure compiler
 * (policy/eswitch) produces it, drivers install it (linux: TC flower on clsact ingress of
 * each representor; sim: evaluated on its frames) and read it back with counters.
 *
 * Semantics, shaped on TC flower because that is what the kernel offloads to switchdev
 * NICs (mlx5, ice, nfp, sfc):
 *
 * - **Ports.** `uplink` is the wire, `host` the PF's own host interface, `vfN` the
 *   representor of VF N. A frame enters the eswitch at the *ingress* of a port: a frame a
 *   VF's guest sends enters at `vfN`, a frame from the wire at `uplink`, a frame the host
 *   sends on the PF netdev at `host`. Sending a frame to port X ("egress of X") delivers it
 *   to VF X, puts it on the wire (`uplink`) or hands it to the host stack (`host`). Rules
 *   hang only on ingress; the compiler never needs egress hooks.
 * - **Order.** Every frame starts in chain 0 of the port it entered. Within a chain the rule
 *   with the lowest `prio` whose match fits decides, as TC does. Rules sharing
 *   (port, chain, prio) must be mutually exclusive (same match keys, different values; TC
 *   keeps one filter instance per prio and tells them apart by handle), so their order
 *   never matters. `goto` continues in another chain of the same port.
 * - **Actions** run in list order on the frame as the earlier actions left it (TC's
 *   pipe): `vlanPush`/`vlanPop` change the outer tag; `mirror` sends a copy of the frame
 *   as it is now and continues; `police` drops what exceeds its rate and `policeMtu` what
 *   exceeds a length, and both continue with the rest; `redirect`, `drop` and `goto` end
 *   the list. An action list always ends in
 *   one of those three, so no frame falls through to a representor's host stack.
 * - **Catch-all.** Every chain ends in a rule without match keys (`protocol: all`), so a
 *   frame no other rule takes has an explicit fate.
 * - **Ownership.** Each rule carries a stable `id` (unique in the set, the key of diffs),
 *   its `owner`: the VF policy that alone decides it (what the VF may send), or `pf` for
 *   the rules that switch between ports and so combine several VFs' policies (a change of
 *   one VF touches only its own rules and the PF's that name it), a one-line `why` for
 *   printing, and a `counter` role where a drop feeds a VF counter (e.g. anti-spoof drops
 *   are the VF's `spoofed`).
 * - **Port attributes stay attributes.** Link state, the receive length limit, minimum
 *   rate and traffic-class shares are properties of a VF's port (the VF settings), not
 *   rules; so is a port's multicast group filter where the NIC has one.
 * - **Observed rules** (read back from a driver) add packets/bytes matched, drops and
 *   `inHw`: whether the NIC took the rule in hardware or it runs in a software datapath.
 */

/** `uplink`, `host` or `vfN`. */
export const EswitchPort = z
  .string()
  .regex(/^(uplink|host|vf(0|[1-9][0-9]{0,2}))$/, 'a port is uplink, host or vfN (vf0, vf12, …)')
  .describe('A switch port: `uplink` (the wire), `host` (the PF’s own interface) or `vfN`.');
export type EswitchPort = z.infer<typeof EswitchPort>;

export function vfPort(vf: number): EswitchPort {
  return `vf${vf}`;
}

/** The VF index of a `vfN` port, or null for `uplink`/`host`. */
export function portVf(port: EswitchPort): number | null {
  return port.startsWith('vf') ? Number(port.slice(2)) : null;
}

/** Ethertypes the rules name, as TC does (`802.1Q`, `ipv4`, …), or a number ≥ 0x600. */
export const EtherType = z.union([
  z.enum(['802.1Q', '802.1ad', 'ipv4', 'ipv6', 'arp']),
  z.number().int().min(0x600).max(0xffff),
]);
export type EtherType = z.infer<typeof EtherType>;

const VLAN_TYPES: readonly unknown[] = ['802.1Q', '802.1ad'];

const ETHERTYPE_VALUES: Record<Exclude<EtherType, number>, number> = {
  '802.1Q': 0x8100,
  '802.1ad': 0x88a8,
  ipv4: 0x0800,
  ipv6: 0x86dd,
  arp: 0x0806,
};

/** The number on the wire of an ethertype the rules name. */
export function etherTypeValue(t: EtherType): number {
  return typeof t === 'number' ? t : ETHERTYPE_VALUES[t];
}

/** `02:00:00:00:00:10` (exact) or `01:00:00:00:00:00/01:00:00:00:00:00` (value/mask), lower case. */
export const MacMatch = z
  .string()
  .refine((s) => {
    const [mac, mask, extra] = s.split('/');
    return extra === undefined && MAC_RE.test(mac) && (mask === undefined || MAC_RE.test(mask));
  }, 'a MAC match is MAC or MAC/MASK, e.g. 01:00:00:00:00:00/01:00:00:00:00:00')
  .transform((s) => s.toLowerCase());

const VlanId = z.number().int().min(0).max(VLAN_MAX);
const VlanPrio = z.number().int().min(0).max(7);

/**
 * A flower match. `protocol` is the frame's outermost ethertype (after the MACs); the
 * `vlan*` keys look at the outer tag and need a VLAN `protocol`; the `cvlan*` keys look at
 * the inner tag of a QinQ frame and need `vlanEthType` to be a VLAN type. Absent keys
 * match anything.
 */
export const RuleMatch = z
  .strictObject({
    protocol: z.union([z.literal('all'), EtherType]).default('all'),
    dstMac: MacMatch.optional(),
    srcMac: MacMatch.optional(),
    vlanId: VlanId.optional(),
    vlanPrio: VlanPrio.optional(),
    vlanEthType: EtherType.optional(),
    cvlanId: VlanId.optional(),
    cvlanPrio: VlanPrio.optional(),
    cvlanEthType: EtherType.optional(),
  })
  .superRefine((m, ctx) => {
    const outer = m.vlanId !== undefined || m.vlanPrio !== undefined || m.vlanEthType !== undefined;
    if (outer && !VLAN_TYPES.includes(m.protocol)) {
      ctx.addIssue({
        code: 'custom',
        message: `vlan keys need protocol 802.1Q or 802.1ad, not ${m.protocol}`,
      });
    }
    const inner =
      m.cvlanId !== undefined || m.cvlanPrio !== undefined || m.cvlanEthType !== undefined;
    if (inner && !VLAN_TYPES.includes(m.vlanEthType)) {
      ctx.addIssue({
        code: 'custom',
        message: 'cvlan keys need vlanEthType 802.1Q or 802.1ad (a QinQ frame)',
      });
    }
  });
export type RuleMatchInput = z.input<typeof RuleMatch>;
export type RuleMatch = z.infer<typeof RuleMatch>;

/** VF counters a rule or action can feed (names of VfCounters fields). */
export const CounterRole = z.enum(['spoofed', 'txDropped', 'txErrors', 'rxDropped', 'rxErrors']);
export type CounterRole = z.infer<typeof CounterRole>;

export const RuleAction = z.discriminatedUnion('kind', [
  /** Add an outer tag (TC `vlan push`). */
  z.strictObject({
    kind: z.literal('vlanPush'),
    id: z.number().int().min(1).max(VLAN_MAX),
    prio: VlanPrio.default(0),
    proto: z.enum(['802.1Q', '802.1ad']).default('802.1Q'),
  }),
  /** Remove the outer tag (TC `vlan pop`). */
  z.strictObject({ kind: z.literal('vlanPop') }),
  /**
   * Send a copy of the frame as it is now to a port and go on (TC `mirred egress mirror`).
   * `counter: 'mirrored'` marks a monitoring copy of port `of`'s traffic (default: the
   * owner VF's): it counts as that VF's `mirrored`, and the target takes it whatever its
   * own filters say.
   */
  z.strictObject({
    kind: z.literal('mirror'),
    to: EswitchPort,
    counter: z.literal('mirrored').optional(),
    of: EswitchPort.optional(),
  }),
  /**
   * Send the frame to a port; ends the list (TC `mirred egress redirect`). `counter` and
   * `of` as for `mirror`, when the last copy of a frame is a monitoring copy.
   */
  z.strictObject({
    kind: z.literal('redirect'),
    to: EswitchPort,
    counter: z.literal('mirrored').optional(),
    of: EswitchPort.optional(),
  }),
  /** Drop the frame; ends the list. */
  z.strictObject({ kind: z.literal('drop') }),
  /**
   * Token bucket: frames above `rateMbps` (bucket `burstBytes`) are dropped, the rest go on
   * (TC `police rate … burst … conform-exceed drop/pipe`).
   */
  z.strictObject({
    kind: z.literal('police'),
    rateMbps: z.number().int().min(1),
    burstBytes: z.number().int().min(1),
  }),
  /**
   * Frames longer than `mtu` bytes (the whole frame, tags included, FCS excluded) are
   * dropped, the rest go on: TC `police mtu MTU conform-exceed drop/pipe` without a rate, as
   * OVS's check_pkt_len is offloaded.
   */
  z.strictObject({
    kind: z.literal('policeMtu'),
    mtu: z.number().int().min(1).max(0xffff),
  }),
  /** Continue in another chain of the same port; ends the list. */
  z.strictObject({ kind: z.literal('goto'), chain: z.number().int().min(0).max(0xffffffff) }),
]);
export type RuleAction = z.infer<typeof RuleAction>;
export type RuleActionKind = RuleAction['kind'];

/** Actions after which nothing else in the list runs. */
export const FINAL_ACTIONS: readonly RuleActionKind[] = ['redirect', 'drop', 'goto'];

/** Whom a rule belongs to: one VF policy, or the PF (rules shared by its VFs). */
export const RuleOwner = z.union([
  z.strictObject({ vf: z.number().int().min(0), name: z.string().min(1) }),
  z.literal('pf'),
]);
export type RuleOwner = z.infer<typeof RuleOwner>;

export const EswitchRule = z
  .strictObject({
    id: z.string().min(1).describe('Stable identity in the rule set; the key of diffs.'),
    owner: RuleOwner,
    port: EswitchPort.describe('The port whose ingress the rule hangs on.'),
    chain: z.number().int().min(0).max(0xffffffff),
    prio: z.number().int().min(1).max(0xffff),
    match: RuleMatch,
    actions: z.array(RuleAction).min(1),
    why: z.string().min(1).describe('One line for people: what the rule is for.'),
    counter: CounterRole.optional().describe(
      'The owner VF counter the frames this rule drops are counted in.',
    ),
  })
  .superRefine((r, ctx) => {
    const last = r.actions.length - 1;
    r.actions.forEach((a, i) => {
      const final = FINAL_ACTIONS.includes(a.kind);
      if (final !== (i === last)) {
        ctx.addIssue({
          code: 'custom',
          path: ['actions', i],
          message: final
            ? `${a.kind} ends the action list, so it must be last`
            : 'the action list must end in redirect, drop or goto',
        });
      }
    });
  });
export type EswitchRuleInput = z.input<typeof EswitchRule>;
export type EswitchRule = z.infer<typeof EswitchRule>;

/** The complete desired rule set of one PF's eswitch. */
export const EswitchRuleSet = z.strictObject({
  pf: z.string().min(1),
  /** Every port of the switch: `uplink`, `host` when modelled, and `vf0` … `vfN-1`. */
  ports: z.array(EswitchPort),
  rules: z.array(EswitchRule),
});
export type EswitchRuleSet = z.infer<typeof EswitchRuleSet>;

/** Per-rule state a driver reads back. */
export const RuleStats = z.strictObject({
  /** Frames and bytes that matched the rule. */
  packets: z.number().int().min(0),
  bytes: z.number().int().min(0),
  /** Frames the rule dropped (drop action, or police above its rate). */
  drops: z.number().int().min(0),
  /** The NIC runs the rule in hardware (TC `in_hw`); false: a software datapath. */
  inHw: z.boolean(),
});
export type RuleStats = z.infer<typeof RuleStats>;

export const ObservedRule = z.strictObject({
  ...EswitchRule.shape,
  ...RuleStats.shape,
  /** Kernel filter handle within (port, chain, prio), where the driver knows it. */
  handle: z.number().int().min(0).optional(),
});
export type ObservedRule = z.infer<typeof ObservedRule>;

/** What a driver read back from one PF in switchdev mode. */
export const ObservedRuleSet = z.strictObject({
  pf: z.string().min(1),
  ports: z.array(EswitchPort),
  rules: z.array(ObservedRule),
});
export type ObservedRuleSet = z.infer<typeof ObservedRuleSet>;

/**
 * What must change to turn one installed rule set into another (policy/eswitch diff). A
 * driver applies it in this order: `add` (already sorted: higher chains first, since gotos
 * only lead to higher chains, so a goto never points at an empty chain; ascending prio in
 * a chain), then `change` (same id and place, new match or actions: TC `filter replace`,
 * atomic), then `remove` (lower chains first, descending prio). At every step each chain
 * decides a frame as the old or as the new rules would; never with no rules at all.
 */
export const RuleDiff = z.strictObject({
  pf: z.string().min(1),
  add: z.array(EswitchRule),
  change: z.array(EswitchRule),
  remove: z.array(EswitchRule),
  /** Rules left as they are. */
  keep: z.number().int().min(0),
});
export type RuleDiff = z.infer<typeof RuleDiff>;

/** GET /v1/vfs/{name}/rules: the eswitch rules that decide one VF's traffic, live. */
export const VfRulesView = z
  .object({
    name: z.string(),
    pf: z.string(),
    vf: z.number(),
    port: EswitchPort,
    eswitchMode: z.enum(['legacy', 'switchdev']),
    rules: z
      .array(ObservedRule)
      .describe('Rules on the VF’s port (what it sends), then the rules that deliver to it.'),
    note: z
      .string()
      .nullable()
      .describe('Why there are no rules to show (legacy mode, a driver that reports none).'),
  })
  .describe('The eswitch rules of one VF with their counters and whether the NIC runs them.');
export type VfRulesView = z.infer<typeof VfRulesView>;

/** How a rule is named in messages: `vf3 chain 1 prio 20 (vf3/vlan/100)`. */
export function ruleLabel(r: Pick<EswitchRule, 'id' | 'port' | 'chain' | 'prio'>): string {
  return `${r.port} chain ${r.chain} prio ${r.prio} (${r.id})`;
}
