import type { EswitchRule, RuleDiff } from '../../../model/index.js';
import {
  MIRRORED,
  RX_BROADCAST,
  RX_BYTES,
  RX_DROPPED,
  RX_ERRORS,
  RX_MULTICAST,
  RX_PACKETS,
  SPOOFED,
  TX_BYTES,
  TX_DROPPED,
  TX_ERRORS,
  TX_PACKETS,
} from '../counters.js';
import { type TxVerdict, toWire } from '../datapath.js';
import {
  type FrameView,
  insertTag,
  MAX_FRAME_LEN,
  parseFrame,
  stripTag,
  TAG_LEN,
  FrameView as View,
} from '../frame.js';
import type { SimPf } from '../pf.js';
import type { SimVf } from '../vf.js';
import { type CompiledRule, TO_HOST, TO_UPLINK } from './compiled.js';
import { matches } from './match.js';
import { RuleTable } from './table.js';

/**
 * The switchdev eswitch of one sim PF: the installed rules (RuleTable) and a small TC
 * interpreter that walks them for every frame a VF sends or the wire brings, in place of
 * the legacy VEB. Port attributes stay the VF's (link, MTU) and the uplink's (shaping);
 * everything else is what the rules say.
 */
export class SimEswitch {
  readonly table = new RuleTable();
  private readonly pf: SimPf;
  private readonly view = new View();
  private readonly scratch = [
    Buffer.alloc(MAX_FRAME_LEN + 4 * TAG_LEN),
    Buffer.alloc(MAX_FRAME_LEN + 4 * TAG_LEN),
  ];
  // The outcome of the last walk (one frame at a time: nothing allocated per frame).
  private src: SimVf | null = null;
  private delivered = false;
  private dropRule: CompiledRule | null = null;
  private policed = false;

  constructor(pf: SimPf) {
    this.pf = pf;
  }

  apply(diff: RuleDiff): { rule: EswitchRule; error: string }[] {
    return this.table.apply(diff, this.pf.numVfs, this.pf.clock.nowNs());
  }

  /** A frame the guest of `vf` sent, already parsed into `f` (link and shape checked). */
  transmit(vf: SimVf, buf: Buffer, len: number, f: FrameView): TxVerdict {
    const c = vf.counters;
    // The VF's own length check comes before the eswitch sees the frame.
    if (len - f.headerLen > vf.mtu) {
      c[TX_ERRORS]++;
      return 'too-big';
    }
    this.src = vf;
    this.walk(vf.index, buf, len);
    const hit = this.dropRule;
    if (hit !== null) {
      const role = hit.counter >= 0 ? hit.counter : TX_DROPPED;
      const owner = hit.ownerVf >= 0 ? (this.pf.vfs[hit.ownerVf] ?? vf) : vf;
      owner.counters[role]++;
      if (this.policed) return 'rate-limited';
      return role === SPOOFED ? 'spoofed' : 'filtered';
    }
    if (!this.delivered) {
      c[TX_DROPPED]++;
      return 'shaped';
    }
    c[TX_PACKETS]++;
    c[TX_BYTES] += len;
    return 'sent';
  }

  /** A frame from the wire that passed the uplink's checks; true when some VF took it. */
  receive(buf: Buffer, len: number): boolean {
    this.src = null;
    this.walk(TO_UPLINK, buf, len);
    return this.delivered;
  }

  /**
   * Walk the chains of a port from chain 0: the first rule by prio that matches runs its
   * actions on the frame as they change it. A frame no rule takes is lost (on a kernel it
   * would go up the representor's host stack, which the sim does not have).
   */
  private walk(port: number, buf: Buffer, len: number): void {
    this.delivered = false;
    this.dropRule = null;
    this.policed = false;
    const chains = this.table.ports.get(port);
    if (chains === undefined) return;
    let cur = buf;
    let curLen = len;
    let spare = 0;
    let chain = 0;
    for (;;) {
      const rules = chains.get(chain);
      if (rules === undefined) return;
      let hit: CompiledRule | null = null;
      for (let i = 0; i < rules.length; i++) {
        if (matches(rules[i].match, cur, curLen)) {
          hit = rules[i];
          break;
        }
      }
      if (hit === null) return;
      hit.packets++;
      hit.bytes += curLen;
      let next = -1;
      for (const a of hit.actions) {
        if (a.kind === 'push' || a.kind === 'pop') {
          const outer = (cur[12] << 8) | cur[13];
          if (a.kind === 'pop' && outer !== 0x8100 && outer !== 0x88a8) continue;
          const out = this.scratch[spare];
          spare ^= 1;
          curLen =
            a.kind === 'push'
              ? insertTag(cur, curLen, a.tpid, a.tci, out)
              : stripTag(cur, curLen, out);
          cur = out;
        } else if (a.kind === 'copy') {
          this.egress(a.to, cur, curLen, a.monitorOf);
          if (a.final) return;
        } else if (a.kind === 'police') {
          if (!a.bucket.take(curLen, this.pf.clock.nowNs())) {
            hit.drops++;
            this.dropRule = hit;
            this.policed = true;
            return;
          }
        } else if (a.kind === 'drop') {
          hit.drops++;
          this.dropRule = hit;
          return;
        } else next = a.chain;
      }
      if (next < 0) return;
      chain = next;
    }
  }

  private egress(to: number, buf: Buffer, len: number, monitorOf: number): void {
    if (to === TO_UPLINK) {
      if (toWire(this.pf, this.src, buf, len)) this.delivered = true;
      return;
    }
    const vf = to === TO_HOST ? undefined : this.pf.vfs[to];
    if (vf === undefined) return;
    if (monitorOf >= 0) this.monitorCopy(vf, buf, len, this.pf.vfs[monitorOf]);
    else this.deliver(vf, buf, len);
  }

  /** What the VF's receive path does with a frame the eswitch sends it. */
  private deliver(vf: SimVf, buf: Buffer, len: number): void {
    this.delivered = true;
    const c = vf.counters;
    if (!vf.linkUp) {
      c[RX_DROPPED]++;
      return;
    }
    parseFrame(buf, len, this.view);
    if (len - this.view.headerLen > vf.mtu) {
      c[RX_ERRORS]++;
      return;
    }
    c[RX_PACKETS]++;
    c[RX_BYTES] += len;
    if ((buf[0] & 1) !== 0) {
      const bcast =
        buf[0] === 0xff &&
        buf[1] === 0xff &&
        buf[2] === 0xff &&
        buf[3] === 0xff &&
        buf[4] === 0xff &&
        buf[5] === 0xff;
      c[bcast ? RX_BROADCAST : RX_MULTICAST]++;
    }
    if (vf.captures !== null) {
      const now = this.pf.clock.nowNs();
      for (const cap of vf.captures) cap.record(buf, len, now, false);
    }
  }

  /** A monitoring port takes every copy whatever its filters; it counts as `of`'s `mirrored`. */
  private monitorCopy(target: SimVf, buf: Buffer, len: number, of: SimVf | undefined): void {
    if (!target.linkUp) return;
    if (of !== undefined) of.counters[MIRRORED]++;
    const c = target.counters;
    c[RX_PACKETS]++;
    c[RX_BYTES] += len;
    if (target.captures !== null) {
      const now = this.pf.clock.nowNs();
      for (const cap of target.captures) cap.record(buf, len, now, true);
    }
  }
}
