import type { VfCounters } from '../../model/index.js';

/**
 * Counters live in a Float64Array per VF and PF so the hot path increments numbers in place
 * (doubles count exactly up to 2^53). Indices follow COUNTER_NAMES.
 */
export const RX_PACKETS = 0;
export const RX_BYTES = 1;
export const TX_PACKETS = 2;
export const TX_BYTES = 3;
export const RX_ERRORS = 4;
export const TX_ERRORS = 5;
export const RX_DROPPED = 6;
export const TX_DROPPED = 7;
export const SPOOFED = 8;
export const MIRRORED = 9;
export const RX_BROADCAST = 10;
export const RX_MULTICAST = 11;

export const COUNTER_NAMES: readonly (keyof VfCounters)[] = [
  'rxPackets',
  'rxBytes',
  'txPackets',
  'txBytes',
  'rxErrors',
  'txErrors',
  'rxDropped',
  'txDropped',
  'spoofed',
  'mirrored',
  'rxBroadcast',
  'rxMulticast',
];

export type CounterArray = Float64Array;

export function newCounters(): CounterArray {
  return new Float64Array(COUNTER_NAMES.length);
}

/** One literal, so every VF's counters share one object shape (read every second per VF). */
export function toVfCounters(c: CounterArray): VfCounters {
  return {
    rxPackets: c[RX_PACKETS],
    rxBytes: c[RX_BYTES],
    txPackets: c[TX_PACKETS],
    txBytes: c[TX_BYTES],
    rxErrors: c[RX_ERRORS],
    txErrors: c[TX_ERRORS],
    rxDropped: c[RX_DROPPED],
    txDropped: c[TX_DROPPED],
    spoofed: c[SPOOFED],
    mirrored: c[MIRRORED],
    rxBroadcast: c[RX_BROADCAST],
    rxMulticast: c[RX_MULTICAST],
  };
}
