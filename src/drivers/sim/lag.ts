import { HASHED_MODES, type LagConfig, type LagStatus } from '../../model/index.js';
import type { FrameView } from './frame.js';
import { xmitHash } from './lag-hash.js';
import type { SimPf } from './pf.js';

interface Member {
  pf: SimPf;
  /** The link as the bond last sampled it (miimon), which lags the cable by up to miimon. */
  seenUp: boolean;
  linkFailures: number;
  txPackets: number;
  rxPackets: number;
}

/** A failed member's traffic is on its way to the other: link down at `downAtNs`. */
interface Pending {
  from: number;
  downAtNs: number;
}

/** What the LAG tells its NIC: a failover, a member back, traffic moved. */
export type LagListener = (lag: SimLag, reason: string) => void;

/**
 * A LAG of two ports of the simulated NIC, modelled on the kernel bonding driver:
 *
 * - **Link monitoring** is miimon: the bond samples its members' links every `miimon` ms
 *   (ticks at multiples of miimon on the NIC clock), so a cable pull is noticed at the next
 *   tick. Until then frames hashed or sent to the failed member are lost (`lostFrames`) —
 *   the failover window the issue asks to measure. A member that comes back is used from
 *   the tick that sees it (updelay 0).
 * - **active-backup** sends and receives on one member; frames arriving on the other are
 *   dropped (the bond drops what an inactive slave receives). The active member changes
 *   only when it fails, or back to `primary` when that one returns.
 * - **balance-xor / 802.3ad** send each frame on `members[hash % up]` with the kernel's
 *   xmit hash (lag-hash.ts), and take frames from both. LACP itself is not simulated: the
 *   partner is assumed to bundle both ports, and `lacpRate` is recorded only (miimon
 *   notices a pulled cable long before LACPDUs time out).
 * - **VF-LAG** (`vfLag`): every VF of either member sends through the bond and receives
 *   from both ports, and its link is up while either cable is. Without it only the host
 *   interfaces use the bond; VFs keep their own port.
 *
 * Failover time is measured as the kernel figure is: member link down → first frame sent
 * on the other member.
 */
export class SimLag {
  readonly config: LagConfig;
  readonly members: readonly [Member, Member];
  private readonly hashed: boolean;
  /** active-backup: index of the active member; -1 when none is up. */
  private active = 0;
  /** Hashed modes: indices of the members seen up, in order. */
  private up: number[] = [0, 1];
  private nextTickNs = 0;
  private pending: Pending | null = null;
  failovers = 0;
  lastFailoverNs: number | null = null;
  lostFrames = 0;
  listener: LagListener | null = null;

  constructor(config: LagConfig, a: SimPf, b: SimPf) {
    this.config = config;
    const member = (pf: SimPf): Member => ({
      pf,
      seenUp: pf.cableUp,
      linkFailures: 0,
      txPackets: 0,
      rxPackets: 0,
    });
    this.members = [member(a), member(b)];
    this.hashed = HASHED_MODES.includes(config.mode);
    this.reselect();
  }

  private get periodNs(): number {
    return this.config.miimon * 1e6;
  }

  /**
   * Run the miimon tick due by now (cheap when none is due: one compare). Ticks are at
   * multiples of miimon; a tick sees each cable as it was at the tick's time, so a cable
   * pulled after the last tick is noticed at the next one, however late poll() is called.
   * (Several flaps within one period collapse into the last, as a sampling monitor sees.)
   */
  poll(now: number): void {
    if (now < this.nextTickNs) return;
    const period = this.periodNs;
    const tick = Math.floor(now / period) * period;
    this.nextTickNs = tick + period;
    this.sample(tick);
  }

  private sample(tick: number): void {
    for (let i = 0; i < 2; i++) {
      const m = this.members[i];
      const pf = m.pf;
      const up = pf.cableChangedNs > tick ? !pf.cableUp : pf.cableUp;
      if (m.seenUp === up) continue;
      m.seenUp = up;
      if (!up) {
        m.linkFailures++;
        const carried = this.hashed || this.active === i;
        const other = this.members[1 - i];
        const moves = carried && other.seenUp;
        if (moves) {
          this.failovers++;
          this.pending = { from: i, downAtNs: pf.cableChangedNs };
        }
        this.reselect();
        this.tell(`member ${pf.id} link down${moves ? `: traffic moves to ${other.pf.id}` : ''}`);
      } else {
        this.reselect();
        const again = this.hashed ? ': traffic spreads over both members again' : '';
        this.tell(`member ${pf.id} link up${again}`);
      }
    }
  }

  private reselect(): void {
    const [a, b] = this.members;
    this.up = [a.seenUp ? 0 : -1, b.seenUp ? 1 : -1].filter((i) => i >= 0);
    if (this.hashed) return;
    const primary = this.members.findIndex((m) => m.pf.id === this.config.primary);
    if (primary >= 0 && this.members[primary].seenUp) this.active = primary;
    else if (this.active < 0 || !this.members[this.active].seenUp) this.active = this.up[0] ?? -1;
  }

  private tell(reason: string): void {
    this.listener?.(this, reason);
  }

  /** True when this frame from `src` of `from` goes through the bond (else its own port). */
  carries(from: SimPf, fromHost: boolean): boolean {
    return this.config.vfLag || (fromHost && this.members.some((m) => m.pf === from));
  }

  /**
   * The member a frame leaves on, or null when it is lost (its member's cable is down and
   * the bond has not noticed yet) or no member is up. `buf` holds the frame's bytes.
   */
  egress(buf: Buffer, len: number, f: FrameView, now: number): SimPf | null {
    this.poll(now);
    let i: number;
    if (this.hashed) {
      const n = this.up.length;
      if (n === 0) return null;
      i = n === 1 ? this.up[0] : this.up[xmitHash(this.config.xmitHashPolicy, buf, len, f) % n];
    } else {
      i = this.active;
      if (i < 0) return null;
    }
    const m = this.members[i];
    if (!m.pf.cableUp) {
      this.lostFrames++;
      return null;
    }
    const p = this.pending;
    if (p !== null && p.from !== i) {
      this.lastFailoverNs = now - p.downAtNs;
      this.pending = null;
      this.tell(
        `failover done: first frame on ${m.pf.id} ${(this.lastFailoverNs / 1e6).toFixed(3)} ms after ${this.members[p.from].pf.id} went down`,
      );
    }
    m.txPackets++;
    return m.pf;
  }

  /** Whether a frame arriving on `at` is taken by the bond (counted), or dropped. */
  ingress(at: SimPf, now: number): boolean {
    this.poll(now);
    const i = this.members[0].pf === at ? 0 : 1;
    if (!at.cableUp) return false;
    if (!this.hashed && i !== this.active) return false;
    this.members[i].rxPackets++;
    return true;
  }

  /** The other member's PF. */
  peerOf(pf: SimPf): SimPf {
    return this.members[0].pf === pf ? this.members[1].pf : this.members[0].pf;
  }

  /** Whether either cable is plugged: a VF-LAG VF's link. */
  anyCableUp(): boolean {
    return this.members[0].pf.cableUp || this.members[1].pf.cableUp;
  }

  status(now: number): LagStatus {
    this.poll(now);
    return {
      name: this.config.name,
      mode: this.config.mode,
      members: this.members.map((m, i) => ({
        pf: m.pf.id,
        linkUp: m.seenUp,
        active: this.hashed ? m.seenUp : this.active === i,
        linkFailures: m.linkFailures,
        txPackets: m.txPackets,
        rxPackets: m.rxPackets,
      })),
      failovers: this.failovers,
      lastFailoverMs: this.lastFailoverNs === null ? null : this.lastFailoverNs / 1e6,
      lostFrames: this.lostFrames,
    };
  }
}
