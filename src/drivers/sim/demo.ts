import { ZERO_MAC } from '../../model/index.js';
import { buildFrame, type TagSpec } from './build.js';
import type { SimNic } from './nic.js';
import type { SimPf } from './pf.js';
import { type SimVf, VLAN_PORT } from './vf.js';

/** MAC of the pretend router on every sim uplink. */
export const DEMO_GATEWAY_MAC = '02:de:00:00:00:01';

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

  constructor(nic: SimNic, intervalMs = 250) {
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
    this.flapLags();
  }

  /** Every 20 s (80 ticks) one LAG member's cable is pulled for 5 s: failover, then rebalance. */
  private flapLags(): void {
    const phase = this.tick % 80;
    if (phase !== 40 && phase !== 60) return;
    for (const lag of this.nic.lags.values()) {
      this.nic.setWireLink(lag.config.members[1], phase === 60);
    }
  }

  private pfStep(pf: SimPf): void {
    for (const vf of pf.vfs) {
      const mac = vf.settings.mac;
      if (mac === ZERO_MAC) continue;
      const size = 64 + ((this.tick * 37 + vf.index * 101) % 1400);
      this.nic.sendFromWire(
        pf.id,
        buildFrame({ dst: mac, src: DEMO_GATEWAY_MAC, tags: wireTags(vf), size }),
      );
      this.nic.sendFromVf(
        pf.id,
        vf.index,
        buildFrame({ dst: DEMO_GATEWAY_MAC, src: mac, tags: guestTags(vf), size: size / 2 }),
      );
    }
    if (this.tick % 4 === 0) {
      this.nic.sendFromWire(
        pf.id,
        buildFrame({ dst: 'ff:ff:ff:ff:ff:ff', src: DEMO_GATEWAY_MAC, etherType: 0x0806 }),
      );
    }
  }
}
