import { z } from 'zod';
import { LinkState, MirrorDirection, VlanProto, ZERO_MAC } from './common.js';

/**
 * The settings of one VF as programmed into a NIC. Both the desired state (computed from
 * the policy plus what guests were allowed to change) and the observed state (read back
 * from the driver) carry them; plan() compares the two field by field.
 */
export const VfSettings = z.object({
  mac: z.string().describe('Primary MAC of the VF (`00:00:00:00:00:00`: none assigned).'),
  macFilters: z
    .array(z.string())
    .describe('Further MACs the VF may receive on and send from (allow-list and guest-added).'),
  vlans: z
    .array(z.number())
    .describe(
      'VLAN IDs of the policy, ascending; with `untagged` they set the VLAN mode (none: untagged and priority-tagged frames only, one + stripOuterTag: port VLAN, several: trunk).',
    ),
  vlanFilters: z
    .array(z.number())
    .describe(
      'VLANs the guest joined, ascending: filters beside the mode `vlans`/`untagged` set, never a change of that mode.',
    ),
  untagged: z.boolean(),
  vlanProto: VlanProto,
  vlanQoS: z.number(),
  stripOuterTag: z.boolean(),
  macAntiSpoof: z.boolean(),
  vlanAntiSpoof: z.boolean(),
  trust: z.boolean(),
  macGuard: z
    .boolean()
    .describe(
      'The driver watches the MAC the guest sets itself and asks nicvisor before keeping it (guarded trust in watch mode; the NIC trusts the VF).',
    ),
  allowBroadcast: z.boolean(),
  allowMulticast: z.boolean(),
  allowUnknownUnicast: z.boolean(),
  promisc: z.boolean().describe('Guest-requested, granted only where the policy allows it.'),
  allmulti: z.boolean().describe('Guest-requested, granted only where the policy allows it.'),
  linkState: LinkState,
  mtu: z.number(),
  minTxRate: z.number(),
  maxTxRate: z.number(),
  trafficShares: z
    .array(z.number())
    .describe('Normalised per-traffic-class shares (%), index = class.'),
});
export type VfSettings = z.infer<typeof VfSettings>;
export type VfSettingKey = keyof VfSettings;

/**
 * What a fresh VF looks like (after creation, a PF reset or numVfs change): no MAC, no VLAN
 * configuration (VLAN filtering stays on, as on the NIC: untagged and priority-tagged frames
 * only, until a port VLAN is set or the guest joins VLANs), no anti-spoof, link following
 * the PF.
 */
export function defaultVfSettings(pfMtu: number): VfSettings {
  return {
    mac: ZERO_MAC,
    macFilters: [],
    vlans: [],
    vlanFilters: [],
    untagged: false,
    vlanProto: '802.1Q',
    vlanQoS: 0,
    stripOuterTag: true,
    macAntiSpoof: false,
    vlanAntiSpoof: false,
    trust: false,
    macGuard: false,
    allowBroadcast: true,
    allowMulticast: true,
    allowUnknownUnicast: false,
    promisc: false,
    allmulti: false,
    linkState: 'auto',
    mtu: pfMtu,
    minTxRate: 0,
    maxTxRate: 0,
    trafficShares: [],
  };
}

export const MirrorState = z.object({
  targetVf: z.number().describe('VF index of the target on the same PF.'),
  direction: MirrorDirection,
});
export type MirrorState = z.infer<typeof MirrorState>;
