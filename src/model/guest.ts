import { z } from 'zod';

/**
 * What guests changed on their own VF and nicvisor acknowledged. Persisted by the daemon
 * so a restart keeps it (VFd lost it).
 */
export const GuestState = z.object({
  mac: z.string().nullable().describe('MAC the guest switched to, if not the policy default.'),
  macs: z.array(z.string()).describe('MACs the guest added.'),
  vlans: z
    .array(z.number())
    .describe('VLANs the guest joined (from the allow-list, or any with trust).'),
  mtu: z.number().nullable(),
  promisc: z.boolean(),
  allmulti: z.boolean(),
});
export type GuestState = z.infer<typeof GuestState>;

export function emptyGuestState(): GuestState {
  return { mac: null, macs: [], vlans: [], mtu: null, promisc: false, allmulti: false };
}
