import { type VlanProto, ZERO_MAC } from '../../model/index.js';
import { type FrameSpec, macToNum, NO_TAGS, type TagSpec, writeFrame } from './build.js';
import type { SimNic } from './nic.js';
import type { SimPf } from './pf.js';
import { type SimVf, VLAN_PORT } from './vf.js';

/** MAC of the pretend router on every sim uplink. */
export const DEMO_GATEWAY_MAC = '02:de:00:00:00:01';

const GATEWAY = macToNum(DEMO_GATEWAY_MAC);
const BROADCAST = macToNum('ff:ff:ff:ff:ff:ff');

/** What the demo sends one VF, made again only when the VF's MAC or VLANs change. */
interface DemoVf {
  mac: string;
  macNum: number;
  vlan: number | undefined;
  proto: VlanProto;
  mode: number;
  wire: TagSpec[];
  guest: TagSpec[];
}

/** The tag a frame on the wire needs to reach this VF (none for VFs without VLANs). */
function wireTags(vf: SimVf): TagSpec[] {
  const s = vf.settings;
  return s.vlans.length === 0 ? [] : [{ proto: s.vlanProto, vid: s.vlans[0] }];
}

/** The tag a guest of this VF puts on its own frames (trunk VFs tag, the NIC tags port VLANs). */
function guestTags(vf: SimVf): TagSpec[] {
  return vf.vlanMode === VLAN_PORT ? [] : wireTags(vf);
}

/**
 * A little traffic so counters and plots move when `sim.demoTraffic` is on: every tick each
 * configured VF gets a frame from the gateway and answers it, and the gateway broadcasts.
 * Sizes vary so byte counters are not multiples of one number.
 */
export class DemoTraffic {
  private readonly nic: SimNic;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | null = null;
  private tick = 0;
  /**
   * Every frame is written here and sent from it (the datapath copies what it keeps). A new
   * Buffer and MAC strings parsed again for each of 4,000 frames a second at 512 VFs were
   * 3 MB/s of garbage, most of the demo daemon's, and its RSS climbed between collections.
   */
  private readonly frame = Buffer.alloc(2048);
  /** The one FrameSpec, its fields set for each frame. */
  private readonly spec: FrameSpec = { dst: 0, src: 0, tags: [], size: 64 };
  private readonly vfs = new WeakMap<SimVf, DemoVf>();

  constructor(
    nic: SimNic,
    intervalMs = 250,
    private readonly cableFlaps = false,
  ) {
    this.nic = nic;
    this.intervalMs = intervalMs;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.step(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One tick of traffic (public so tests need no timer). */
  step(): void {
    this.tick++;
    for (const pf of this.nic.pfs.values()) this.pfStep(pf);
    if (this.cableFlaps) this.flapLags();
  }

  /** Every 20 s (80 ticks) one LAG member's cable is pulled for 5 s: failover, then rebalance. */
  private flapLags(): void {
    const phase = this.tick % 80;
    if (phase !== 40 && phase !== 60) return;
    for (const lag of this.nic.lags.values()) {
      this.nic.setWireLink(lag.config.members[1], phase === 60);
    }
  }

  private demoVf(vf: SimVf): DemoVf {
    const s = vf.settings;
    const d = this.vfs.get(vf);
    if (
      d?.mac === s.mac &&
      d.vlan === s.vlans[0] &&
      d.proto === s.vlanProto &&
      d.mode === vf.vlanMode
    )
      return d;
    const now: DemoVf = {
      mac: s.mac,
      macNum: macToNum(s.mac),
      vlan: s.vlans[0],
      proto: s.vlanProto,
      mode: vf.vlanMode,
      wire: wireTags(vf),
      guest: guestTags(vf),
    };
    this.vfs.set(vf, now);
    return now;
  }

  private pfStep(pf: SimPf): void {
    const buf = this.frame;
    const spec = this.spec;
    spec.etherType = 0x0800;
    for (const vf of pf.vfs) {
      if (vf.settings.mac === ZERO_MAC) continue;
      const d = this.demoVf(vf);
      const size = 64 + ((this.tick * 37 + vf.index * 101) % 1400);
      spec.dst = d.macNum;
      spec.src = GATEWAY;
      spec.tags = d.wire;
      spec.size = size;
      this.nic.sendFromWire(pf.id, buf, writeFrame(buf, spec));
      spec.dst = GATEWAY;
      spec.src = d.macNum;
      spec.tags = d.guest;
      spec.size = size / 2;
      this.nic.sendFromVf(pf.id, vf.index, buf, writeFrame(buf, spec));
    }
    if (this.tick % 4 === 0) {
      spec.dst = BROADCAST;
      spec.src = GATEWAY;
      spec.tags = NO_TAGS;
      spec.size = 64;
      spec.etherType = 0x0806;
      this.nic.sendFromWire(pf.id, buf, writeFrame(buf, spec));
    }
  }
}
