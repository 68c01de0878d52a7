import type { MirrorState, VfSettings } from '../../model/index.js';
import { macToNum } from './build.js';
import type { Capture } from './capture.js';
import { type CounterArray, newCounters } from './counters.js';
import { tci, tpidOf } from './frame.js';
import { HALF } from './mac-table.js';
import { shareBuckets, TokenBucket } from './qos.js';

/** How the VF treats VLAN tags, derived from `vlans`, `untagged` and `stripOuterTag`. */
export const VLAN_TRANSPARENT = 0;
/** `untagged`: only frames without an outer tag of the VF's protocol. */
export const VLAN_UNTAGGED = 1;
/** One VLAN + strip: the NIC inserts the tag on transmit and strips it on receive. */
export const VLAN_PORT = 2;
/** A VLAN list the guest tags itself; the NIC filters by it. */
export const VLAN_TRUNK = 3;

/** What compile() needs from the VF's PF. */
export interface PfContext {
  wireUp: boolean;
  linkSpeedMbps: number;
  trafficClasses: readonly number[];
  nowNs: number;
}

/**
 * One VF: the settings the hypervisor programmed, the settings in force (which a guest's
 * acknowledged request or a `poke` may have changed), and a compiled form of the latter
 * that the datapath reads without looking at strings or arrays.
 */
export class SimVf {
  readonly index: number;
  settings: VfSettings;
  /** What the hypervisor last programmed: a guest `reset` goes back to this. */
  programmed: VfSettings;
  mirror: MirrorState | null = null;
  readonly counters: CounterArray = newCounters();

  // Compiled from settings by compile(); read by the datapath.
  /** Own MACs (primary first, then filters) as 48-bit numbers and as 24-bit halves. */
  macs: number[] = [];
  macHi: number[] = [];
  macLo: number[] = [];
  vlanMode = VLAN_TRANSPARENT;
  tpid = 0;
  vlanBits = new Uint8Array(4096);
  /** VLANs the guest joined beside a port VLAN or a flat network (a trunk merges them). */
  joinedBits = new Uint8Array(4096);
  insertTci = 0;
  strip = false;
  linkUp = true;
  mtu = 1500;
  acceptBroadcast = true;
  acceptMulticast = true;
  acceptUnknown = false;
  macAntiSpoof = false;
  vlanAntiSpoof = false;
  rateBucket: TokenBucket | null = null;
  minBucket: TokenBucket | null = null;
  shareBuckets: (TokenBucket | null)[] = [];
  mirrorIn: SimVf | null = null;
  mirrorOut: SimVf | null = null;
  captures: Capture[] | null = null;

  constructor(index: number, settings: VfSettings, programmed: VfSettings) {
    this.index = index;
    this.settings = settings;
    this.programmed = programmed;
  }

  /** Recompute the datapath view after any change of settings or of the PF. */
  compile(pf: PfContext): void {
    const s = this.settings;
    this.macs = [s.mac, ...s.macFilters].map(macToNum).filter((m) => m !== 0);
    this.macHi = this.macs.map((m) => Math.floor(m / HALF));
    this.macLo = this.macs.map((m) => m % HALF);
    this.tpid = tpidOf(s.vlanProto);
    this.vlanBits.fill(0);
    for (const v of s.vlans) this.vlanBits[v] = 1;
    // The mode comes from the policy's VLANs only: VLANs a guest joins are filters beside it.
    if (s.vlans.length === 0) this.vlanMode = s.untagged ? VLAN_UNTAGGED : VLAN_TRANSPARENT;
    else this.vlanMode = s.vlans.length === 1 && s.stripOuterTag ? VLAN_PORT : VLAN_TRUNK;
    this.joinedBits.fill(0);
    const joined = this.vlanMode === VLAN_TRUNK ? this.vlanBits : this.joinedBits;
    for (const v of s.vlanFilters) joined[v] = 1;
    this.insertTci = this.vlanMode === VLAN_PORT ? tci(s.vlans[0], s.vlanQoS) : 0;
    this.strip = s.stripOuterTag && this.vlanMode >= VLAN_PORT;
    this.linkUp = s.linkState === 'enable' || (s.linkState === 'auto' && pf.wireUp);
    this.mtu = s.mtu;
    this.acceptBroadcast = s.allowBroadcast;
    this.acceptMulticast = s.allowMulticast || s.allmulti;
    this.acceptUnknown = s.allowUnknownUnicast || s.promisc;
    this.macAntiSpoof = s.macAntiSpoof;
    this.vlanAntiSpoof = s.vlanAntiSpoof;
    this.rateBucket = s.maxTxRate > 0 ? new TokenBucket(s.maxTxRate, pf.nowNs) : null;
    this.minBucket = s.minTxRate > 0 ? new TokenBucket(s.minTxRate, pf.nowNs) : null;
    this.shareBuckets = shareBuckets(
      pf.linkSpeedMbps,
      pf.trafficClasses,
      s.trafficShares,
      pf.nowNs,
    );
  }

  /** Resolve the mirror target (a VF object of the same PF) for the datapath. */
  linkMirror(vfs: readonly SimVf[]): void {
    const target = this.mirror ? (vfs[this.mirror.targetVf] ?? null) : null;
    const dir = this.mirror?.direction;
    this.mirrorIn = dir === 'in' || dir === 'all' ? target : null;
    this.mirrorOut = dir === 'out' || dir === 'all' ? target : null;
  }

  ownsMac(hi: number, lo: number): boolean {
    const los = this.macLo;
    for (let i = 0; i < los.length; i++) if (los[i] === lo && this.macHi[i] === hi) return true;
    return false;
  }
}
