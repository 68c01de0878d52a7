import type { MirrorState, VfSettings } from '../../model/index.js';
import type { Capture } from './capture.js';
import { type CounterArray, newCounters } from './counters.js';
import { tci, tpidOf } from './frame.js';
import { hiOf, loOf, macToNum } from './mac.js';
import { TokenBucket } from './qos.js';

/**
 * How a port treats VLAN tags. Filtering is always on, as on Intel's VMDq NICs (every pool
 * has a VLAN filter): a _filtered_ port takes untagged and priority-tagged frames and the
 * VIDs it is a member of (none, the policy's trunk list, the guest's joins).
 */
export const VLAN_FILTERED = 0;
/**
 * One VLAN + strip: a _port VLAN_ (the 82599's VMVIR default VLAN): the NIC inserts the tag
 * on transmit and takes only that VLAN on receive, stripped.
 */
export const VLAN_PORT = 1;

/** Index of the PF's host interface, the one port of a VEB that is not a VF. */
export const HOST_INDEX = -1;

/** A frame may be this much longer than the MTU: header + one tag (FCS not counted). */
export const RX_LEN_OVER_MTU = 18;

/** What compile() needs from the VF's PF. */
export interface PfContext {
  wireUp: boolean;
  nowNs: number;
}

/**
 * One port of a PF's VEB: a VF, or the PF's host interface (the VEB treats the PF as one
 * more pool; the 82576 gives the PF a pool of its own). It keeps the settings the
 * hypervisor programmed, the settings in force (which a guest's acknowledged request or a
 * `poke` may have changed), the multicast groups its guest joined, and a compiled form of
 * the settings that the datapath reads without looking at strings or arrays.
 */
export class SimVf {
  readonly index: number;
  settings: VfSettings;
  /** What the hypervisor last programmed: a guest `reset` goes back to this. */
  programmed: VfSettings;
  mirror: MirrorState | null = null;
  /** Multicast groups joined through the mailbox (48-bit numbers); they fill the PF's MTA. */
  groups: number[] = [];
  readonly counters: CounterArray = newCounters();

  // Compiled from settings by compile(); read by the datapath.
  /** Own MACs (primary first, then filters) as 48-bit numbers and as 24-bit halves. */
  macs: number[] = [];
  macHi: number[] = [];
  macLo: number[] = [];
  /** The primary MAC's halves (-1 without one), checked before the list. */
  mac0Hi = -1;
  mac0Lo = -1;
  vlanMode = VLAN_FILTERED;
  tpid = 0;
  /**
   * VLAN membership, one bit per VID (test with isMember); VID 0 (priority tag) is set for
   * every filtered port. A bit, not a byte: 512 B instead of 4 KiB per VF (2 MiB of a
   * daemon's RSS at 512 VFs), and a shift and a mask more per frame.
   */
  vlanBits = new Uint32Array(128);
  portVid = 0;
  insertTci = 0;
  strip = false;
  linkUp = true;
  /** Longest frame accepted on receive and transmit, tags included. */
  maxLen = 1500 + RX_LEN_OVER_MTU;
  acceptBroadcast = true;
  acceptMulticast = true;
  /** All-multicast: every group, whatever the MTA holds. */
  allMulticast = false;
  acceptUnknown = false;
  macAntiSpoof = false;
  vlanAntiSpoof = false;
  rateBucket: TokenBucket | null = null;
  /** Where the uplink scheduler keeps this port's buckets (VF index; the host after them). */
  slot = 0;
  mirrorIn: SimVf | null = null;
  mirrorOut: SimVf | null = null;
  captures: Capture[] | null = null;

  constructor(index: number, settings: VfSettings, programmed: VfSettings) {
    this.index = index;
    this.slot = index;
    this.settings = settings;
    this.programmed = programmed;
  }

  get isHost(): boolean {
    return this.index === HOST_INDEX;
  }

  /** Recompute the datapath view after any change of settings or of the PF. */
  compile(pf: PfContext): void {
    const s = this.settings;
    this.macs = [s.mac, ...s.macFilters].map(macToNum).filter((m) => m !== 0);
    this.macHi = this.macs.map(hiOf);
    this.macLo = this.macs.map(loOf);
    this.mac0Hi = this.macs.length > 0 ? this.macHi[0] : -1;
    this.mac0Lo = this.macs.length > 0 ? this.macLo[0] : -1;
    this.compileVlans(s);
    this.linkUp = s.linkState === 'enable' || (s.linkState === 'auto' && pf.wireUp);
    this.maxLen = s.mtu + RX_LEN_OVER_MTU;
    this.acceptBroadcast = s.allowBroadcast;
    this.acceptMulticast = s.allowMulticast;
    this.allMulticast = s.allmulti;
    this.acceptUnknown = s.allowUnknownUnicast || s.promisc;
    this.macAntiSpoof = s.macAntiSpoof;
    this.vlanAntiSpoof = s.vlanAntiSpoof;
    this.rateBucket = s.maxTxRate > 0 ? new TokenBucket(s.maxTxRate, pf.nowNs) : null;
  }

  private compileVlans(s: VfSettings): void {
    this.tpid = tpidOf(s.vlanProto);
    this.vlanBits.fill(0);
    for (const v of s.vlans) this.vlanBits[v >>> 5] |= 1 << (v & 31);
    // The mode comes from the policy's VLANs only; VLANs the guest joined widen a filtered
    // port's membership and never make a port VLAN a trunk (the PF refuses guest VLANs
    // beside a port VLAN, as igb and ixgbe do).
    this.vlanMode = s.vlans.length === 1 && s.stripOuterTag ? VLAN_PORT : VLAN_FILTERED;
    if (this.vlanMode === VLAN_FILTERED) {
      this.vlanBits[0] |= 1;
      for (const v of s.vlanFilters) this.vlanBits[v >>> 5] |= 1 << (v & 31);
    }
    this.portVid = this.vlanMode === VLAN_PORT ? s.vlans[0] : 0;
    this.insertTci = this.vlanMode === VLAN_PORT ? tci(s.vlans[0], s.vlanQoS) : 0;
    this.strip = s.stripOuterTag;
  }

  /** Resolve the mirror target (a VF object of the same PF) for the datapath. */
  linkMirror(vfs: readonly SimVf[]): void {
    const target = this.mirror ? (vfs[this.mirror.targetVf] ?? null) : null;
    const dir = this.mirror?.direction;
    this.mirrorIn = dir === 'in' || dir === 'all' ? target : null;
    this.mirrorOut = dir === 'out' || dir === 'all' ? target : null;
  }

  ownsMac(hi: number, lo: number): boolean {
    if (lo === this.mac0Lo && hi === this.mac0Hi) return true;
    const los = this.macLo;
    for (let i = 0; i < los.length; i++) if (los[i] === lo && this.macHi[i] === hi) return true;
    return false;
  }
}

/** Whether `vid` (0-4095) is in a VLAN bit set of SimVf.vlanBits. */
export function isMember(bits: Uint32Array, vid: number): boolean {
  return ((bits[vid >>> 5] >>> (vid & 31)) & 1) === 1;
}
