import { z } from 'zod';
import { MAX_GUEST_GROUPS, MAX_VFS_PER_PF } from './common.js';

/**
 * A guest's request to change its own VF, as it arrives through the NIC mailbox (sim) or the
 * API (`POST /v1/vfs/NAME/requests`, `nicvisor request`).
 */
export const GuestRequest = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('setMac'), mac: z.string() }),
  z.strictObject({ type: z.literal('addMac'), mac: z.string() }),
  /** Without `mac`: clear every MAC the guest added (never the policy's own). */
  z.strictObject({ type: z.literal('delMac'), mac: z.string().optional() }),
  z.strictObject({ type: z.literal('addVlan'), vlan: z.number().int() }),
  z.strictObject({ type: z.literal('delVlan'), vlan: z.number().int() }),
  z.strictObject({ type: z.literal('setMtu'), mtu: z.number().int() }),
  z.strictObject({ type: z.literal('setPromisc'), enable: z.boolean() }),
  z.strictObject({ type: z.literal('setAllmulti'), enable: z.boolean() }),
  /**
   * The whole list of multicast groups the guest wants (it replaces the last one), as a VF
   * driver sends it through the mailbox (igbvf's E1000_VF_SET_MULTICAST); [] leaves them all.
   */
  z.strictObject({
    type: z.literal('setMulticastList'),
    groups: z.array(z.string()).max(MAX_GUEST_GROUPS),
  }),
  z.strictObject({ type: z.literal('reset') }),
]);
export type GuestRequest = z.infer<typeof GuestRequest>;
export type GuestRequestType = GuestRequest['type'];

export interface Decision {
  result: 'ack' | 'nack';
  /** Why, in words an operator and a guest agent can act on. */
  reason: string;
}

/** Where a guest request came from, for the audit log. */
export interface RequestOrigin {
  via: 'mailbox' | 'api' | 'watch';
  /** Who asked: `guest:NAME` for a guest credential, `admin` otherwise. */
  who: string;
  pf: string;
  vf: number;
}

export const VfRef = z.strictObject({
  pf: z.string(),
  vf: z
    .number()
    .int()
    .min(0)
    .max(MAX_VFS_PER_PF - 1),
});
