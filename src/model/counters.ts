import { z } from 'zod';

/** Per-VF counters. Monotonic; a driver that resets them (PF reset) is compensated above it. */
export const VfCounters = z.object({
  rxPackets: z.number(),
  rxBytes: z.number(),
  txPackets: z.number(),
  txBytes: z.number(),
  rxErrors: z.number(),
  txErrors: z.number(),
  rxDropped: z.number(),
  txDropped: z.number(),
  spoofed: z.number().describe('Frames dropped by MAC or VLAN anti-spoof on transmit.'),
  mirrored: z.number().describe('Copies sent to a mirror target.'),
  rxBroadcast: z.number(),
  rxMulticast: z.number(),
});
export type VfCounters = z.infer<typeof VfCounters>;

export function zeroCounters(): VfCounters {
  return {
    rxPackets: 0,
    rxBytes: 0,
    txPackets: 0,
    txBytes: 0,
    rxErrors: 0,
    txErrors: 0,
    rxDropped: 0,
    txDropped: 0,
    spoofed: 0,
    mirrored: 0,
    rxBroadcast: 0,
    rxMulticast: 0,
  };
}
