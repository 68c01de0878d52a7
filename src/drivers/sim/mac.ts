import { MAC_RE } from '../../model/index.js';

/**
 * MACs on the datapath are two 24-bit halves: small integers, which V8 keeps unboxed, where
 * the 48-bit number would be a heap number on every comparison.
 */
export const HALF = 0x1000000;

/** MAC string (`02:00:00:00:00:01`) to the 48-bit number the switch compares. */
export function macToNum(mac: string): number {
  if (!MAC_RE.test(mac)) {
    throw new Error(`"${mac}" is not a MAC address; write six hex pairs like 02:00:00:00:00:01`);
  }
  return Number.parseInt(mac.replaceAll(':', ''), 16);
}

/** 48-bit number to the lower-case colon form. */
export function numToMac(n: number): string {
  const hex = n.toString(16).padStart(12, '0');
  return hex.match(/../g)!.join(':');
}

export function hiOf(mac48: number): number {
  return Math.floor(mac48 / HALF);
}

export function loOf(mac48: number): number {
  return mac48 % HALF;
}
