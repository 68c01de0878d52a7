import type { SimVf } from './vf.js';

/** Why a transmitted frame did or did not leave its port. */
export type TxVerdict =
  | 'sent'
  | 'link-down'
  | 'malformed'
  | 'spoofed'
  | 'too-big'
  | 'rate-limited'
  | 'shaped'
  | 'local-drop'
  /** Dropped by a switchdev eswitch rule that feeds no more specific counter. */
  | 'filtered';

/**
 * A frame switch other than the legacy VEB (a switchdev eswitch, bound to one PF) takes that
 * PF's frames over when set as `SimPf.eswitch`; datapath.ts is the legacy path.
 */
export interface FramePath {
  fromVf(vf: SimVf, buf: Buffer, len: number): TxVerdict;
  fromHost(buf: Buffer, len: number): TxVerdict;
  fromWire(buf: Buffer, len: number): boolean;
}
