import { z } from 'zod';
import {
  LinkState,
  MAX_GUEST_GROUPS,
  MAX_VFS_PER_PF,
  MirrorDirection,
  VlanProto,
} from './common.js';

/**
 * The per-VF policy file (`/var/lib/nicvisor/vfs/NAME.json`), one per VF as in VFd.
 * The schema checks shapes and single-field ranges; rules that span fields or files
 * (duplicate MACs, mirror targets, rate sums, driver capabilities) live in policy/validate.
 */
export const MirrorSpec = z
  .strictObject({
    target: z.string().describe('Name of the VF that receives the copies; must be on the same PF.'),
    direction: MirrorDirection.describe(
      '`in`: frames delivered to this VF; `out`: frames it transmits; `all`: both.',
    ),
  })
  .describe('Copy this VF’s traffic to another VF of the same PF (needs PF `loopback`).');
export type MirrorSpec = z.infer<typeof MirrorSpec>;

const Hook = z
  .array(z.string().min(1))
  .min(1)
  .describe('Program and arguments, run without a shell (argv[0] must be an absolute path).');

export const VfPolicy = z
  .strictObject({
    name: z
      .string()
      .describe(
        'Unique name of this VF policy, `[A-Za-z0-9._-]{1,64}` not starting with a dot; also the file name.',
      ),
    pf: z
      .string()
      .min(1)
      .describe('The PF the VF belongs to: PCI address (`0000:08:00.0`) or `sim:NIC/PORT`.'),
    vf: z
      .number()
      .int()
      .min(0)
      .max(MAX_VFS_PER_PF - 1)
      .describe('VF index on the PF, 0-based; must be below the PF’s `numVfs`.'),
    vlans: z
      .array(z.number().int())
      .default([])
      .describe(
        'VLAN IDs (1-4094) the VF may use. With exactly one VLAN and `stripOuterTag` the NIC inserts and strips the tag (a port VLAN); with several the guest tags its own frames and the NIC filters.',
      ),
    untagged: z
      .boolean()
      .default(false)
      .describe('Flat network: the VF sends and receives untagged frames. Needs `vlans: []`.'),
    vlanProto: VlanProto.default('802.1Q').describe(
      'Ethertype of the outer tag the NIC inserts and matches: `802.1Q` (0x8100) or `802.1ad` (0x88a8, QinQ S-tag).',
    ),
    vlanQoS: z
      .number()
      .int()
      .min(0)
      .max(7)
      .default(0)
      .describe('802.1p priority (PCP, 0-7) written into the tag the NIC inserts.'),
    stripOuterTag: z
      .boolean()
      .default(true)
      .describe('Strip the outer tag on receive (and insert it on transmit when one VLAN).'),
    macs: z
      .array(z.string())
      .default([])
      .describe(
        'MAC addresses of the VF: the first is the default MAC programmed at start; the rest form the allow-list a guest may switch to or add.',
      ),
    guestMacs: z
      .number()
      .int()
      .min(0)
      .max(64)
      .default(0)
      .describe('How many MACs not in `macs` the guest may add (or switch to) on its own.'),
    guestMulticast: z
      .number()
      .int()
      .min(0)
      .max(MAX_GUEST_GROUPS)
      .default(30)
      .describe(
        'How many multicast groups the guest may join through the mailbox (`setMulticastList`); they fill the PF’s shared multicast table. Default 30, what igbvf and ixgbevf send at most.',
      ),
    macAntiSpoof: z
      .boolean()
      .default(true)
      .describe('Drop frames the VF sends with a source MAC that is not one of its own.'),
    vlanAntiSpoof: z
      .boolean()
      .default(true)
      .describe('Drop frames the VF sends tagged with a VLAN it is not allowed.'),
    trust: z
      .union([z.boolean(), z.literal('guarded')])
      .default(false)
      .describe(
        'Trusted VF: the guest may take any MAC (never one another VF holds) and any VLAN, and use promiscuous modes. `guarded`: the guest uses one MAC of `macs` at a time, switched by nicvisor on request (setMac through the API or the mailbox), never one another VF holds; it needs one MAC filter however long the list (the vSRX RETH case). How the guest switches is `guardMode` (docs/ha.md).',
      ),
    guardMode: z
      .enum(['request', 'watch'])
      .default('request')
      .describe(
        'With trust `guarded`: `request` (default) keeps the NIC’s trust off, so the guest switches its MAC only by asking nicvisor (setMac through the API or the mailbox); `watch` turns the NIC’s trust on so an unmodified guest driver changes its own MAC, and nicvisor watches the VF (link notifications and a fast poll) and reverts a MAC outside `macs` or held by another VF, after an exposure window (docs/ha.md).',
      ),
    haPeer: z
      .string()
      .optional()
      .describe(
        'HA pair: the name of the other VF a guest bonds with this one. It must be on another PF, name this VF back, and have the same MACs, VLANs and anti-spoof settings, so the guest’s failover is accepted on either.',
      ),
    allowBroadcast: z.boolean().default(true).describe('Deliver broadcast frames to this VF.'),
    allowMulticast: z
      .boolean()
      .default(true)
      .describe('Deliver multicast frames to this VF; lets the guest ask for all-multicast.'),
    allowUnknownUnicast: z
      .boolean()
      .default(false)
      .describe(
        'Deliver unicast frames for MACs no VF owns to this VF; lets the guest ask for promiscuous mode.',
      ),
    linkState: LinkState.default('auto').describe(
      'VF link as the guest sees it: `auto` follows the PF, `enable` forces up, `disable` forces down (drops all traffic).',
    ),
    mtu: z
      .number()
      .int()
      .optional()
      .describe(
        'Largest MTU the guest may set, 68 up to the PF’s `mtu` (default: the PF’s `mtu`).',
      ),
    minTxRate: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('Guaranteed transmit rate in Mbps (0: none).'),
    maxTxRate: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('Transmit rate limit in Mbps (0: unlimited).'),
    trafficShares: z
      .array(z.number().int().min(0).max(100))
      .default([])
      .describe(
        'Guaranteed minimum share (%) of each traffic class of the PF, index = class; what the VF leaves unused is shared out. Scaled down when the VFs of a class ask for more than 100 (see docs/qos.md).',
      ),
    mirror: MirrorSpec.optional(),
    onStart: Hook.optional().describe('Run after the VF is configured (argv, no shell).'),
    onStop: Hook.optional().describe('Run before the VF is released (argv, no shell).'),
  })
  .describe('Policy of one SR-IOV virtual function.');

/** A VF policy as written by a user (defaults not yet filled in). */
export type VfPolicyInput = z.input<typeof VfPolicy>;
/** A VF policy with every default filled in. */
export type VfPolicy = z.infer<typeof VfPolicy>;
