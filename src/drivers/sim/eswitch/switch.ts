import type { EswitchRule, RuleDiff } from '../../../model/index.js';
import { TC_MAX_GOTOS } from '../../../policy/eswitch/spill.js';
import { FrameScratch } from '../copy.js';
import {
  RX_BYTES,
  RX_DROPPED,
  RX_ERRORS,
  RX_PACKETS,
  SPOOFED,
  TX_BYTES,
  TX_DROPPED,
  TX_ERRORS,
  TX_PACKETS,
} from '../counters.js';
import type { FramePath, TxVerdict } from '../datapath.js';
import { FrameView, insertTag, MAX_FRAME_LEN, parseFrame, stripTag, TAG_LEN } from '../frame.js';
import type { SimPf } from '../pf.js';
import type { SimVf } from '../vf.js';
import { type CompiledAction, type CompiledRule, TO_HOST, TO_UPLINK } from './compiled.js';
import { Egress } from './egress.js';
import { matches } from './match.js';
import { RuleTable } from './table.js';

/** Port index of the host interface in the rule table (see compiled.ts). */
const HOST_PORT = TO_HOST;

/**
 * The switchdev eswitch of one sim PF: the installed rules (RuleTable) and a small TC
 * interpreter that walks them for every frame a VF or the host sends or the wire brings, in
 * place of the legacy VEB. Port attributes stay the ports' own (link, length limits, the
 * PF's multicast table on receive, the uplink's shaping); everything else is the rules'.
 */
export class SimEswitch implements FramePath {
  readonly table = new RuleTable();
  private readonly pf: SimPf;
  private readonly out: Egress;
  private readonly view = new FrameView();
  private readonly scratch = [
    new FrameScratch(MAX_FRAME_LEN + 4 * TAG_LEN),
    new FrameScratch(MAX_FRAME_LEN + 4 * TAG_LEN),
  ];
  // The outcome of the last walk (one frame at a time: nothing allocated per frame).
  private dropRule: CompiledRule | null = null;
  private policed = false;
  /** No rule took the frame (no chain, or no rule matched). */
  private lost = false;

  constructor(pf: SimPf) {
    this.pf = pf;
    this.out = new Egress(pf);
  }

  apply(diff: RuleDiff): { rule: EswitchRule; error: string }[] {
    return this.table.apply(diff, this.pf.numVfs, this.pf.clock.nowNs());
  }

  fromVf(vf: SimVf, buf: Buffer, len: number): TxVerdict {
    const pf = this.pf;
    const c = vf.counters;
    if (!vf.linkUp) {
      c[TX_DROPPED]++;
      return 'link-down';
    }
    if (!parseFrame(buf, len, this.view)) {
      c[TX_ERRORS]++;
      return 'malformed';
    }
    return this.sent(pf, vf, vf.index, buf, len);
  }

  fromHost(buf: Buffer, len: number): TxVerdict {
    const pf = this.pf;
    const host = pf.host;
    if (!parseFrame(buf, len, this.view)) {
      host.counters[TX_ERRORS]++;
      return 'malformed';
    }
    if (len > host.maxLen) {
      host.counters[TX_ERRORS]++;
      return 'too-big';
    }
    return this.sent(pf, host, HOST_PORT, buf, len);
  }

  fromWire(buf: Buffer, len: number): boolean {
    const pf = this.pf;
    const pc = pf.counters;
    pc[RX_PACKETS]++;
    pc[RX_BYTES] += len;
    if (!parseFrame(buf, len, this.view)) {
      pc[RX_ERRORS]++;
      return false;
    }
    if (len > pf.maxWireLen) {
      pc[RX_ERRORS]++;
      return false;
    }
    const taken = pf.wireUp && this.walk(TO_UPLINK, null, buf, len);
    if (!taken) pc[RX_DROPPED]++;
    return taken;
  }

  /** Walk a sending port's rules and count the outcome on the sender. */
  private sent(pf: SimPf, src: SimVf, port: number, buf: Buffer, len: number): TxVerdict {
    const delivered = this.walk(port, src, buf, len);
    const hit = this.dropRule;
    if (hit !== null) {
      const role = hit.counter >= 0 ? hit.counter : TX_DROPPED;
      const owner = hit.ownerVf >= 0 ? (pf.vfs[hit.ownerVf] ?? src) : src;
      owner.counters[role]++;
      if (this.policed) return 'rate-limited';
      if (role === SPOOFED) return 'spoofed';
      if (role === TX_ERRORS) return 'too-big';
      // A drop counted as txDropped is the destination refusing a local frame.
      return hit.counter === TX_DROPPED ? 'local-drop' : 'filtered';
    }
    if (!delivered) {
      src.counters[TX_DROPPED]++;
      return this.lost ? 'filtered' : 'shaped';
    }
    src.counters[TX_PACKETS]++;
    src.counters[TX_BYTES] += len;
    return 'sent';
  }

  /** Whether a frame gets past a drop, a police action or a length check. */
  private passes(a: CompiledAction, len: number): boolean {
    if (a.kind === 'police') return a.bucket.take(len, this.pf.clock.nowNs());
    if (a.kind === 'mtu') return len <= a.max;
    return a.kind !== 'drop';
  }

  /**
   * Walk the chains of a port from chain 0: the first rule by prio that matches runs its
   * actions on the frame as they change it. A frame no rule takes is lost (on a kernel it
   * would go up the representor's host stack, which the sim does not have). Returns whether
   * any port took the frame.
   */
  private walk(port: number, src: SimVf | null, buf: Buffer, len: number): boolean {
    this.dropRule = null;
    this.policed = false;
    this.lost = false;
    this.out.start(src, len);
    const chains = this.table.ports.get(port);
    let cur = buf;
    let curLen = len;
    let spare = 0;
    let gotos = 0;
    let rules = chains?.get(0);
    for (;;) {
      if (rules === undefined) {
        this.lost = true;
        break;
      }
      let hit: CompiledRule | null = null;
      for (let i = 0; i < rules.length && hit === null; i++) {
        if (matches(rules[i].match, cur, curLen)) hit = rules[i];
      }
      if (hit === null) {
        this.lost = true;
        break;
      }
      hit.packets++;
      hit.bytes += curLen;
      let next = -1;
      for (const a of hit.actions) {
        if (a.kind === 'push' || a.kind === 'pop') {
          const outer = (cur[12] << 8) | cur[13];
          if (a.kind === 'pop' && outer !== 0x8100 && outer !== 0x88a8) continue;
          const into = this.scratch[spare];
          spare ^= 1;
          curLen =
            a.kind === 'push'
              ? insertTag(cur, curLen, a.tpid, a.tci, into)
              : stripTag(cur, curLen, into);
          cur = into.buf;
          if (a.kind === 'push') this.out.carried = curLen;
        } else if (a.kind === 'copy') {
          this.out.send(a.to, cur, curLen, a.monitorOf);
          if (a.final) return this.out.delivered;
        } else if (a.kind === 'goto') next = a.chain;
        else if (!this.passes(a, curLen)) {
          hit.drops++;
          this.dropRule = hit;
          this.policed = a.kind === 'police';
          return this.out.delivered;
        }
      }
      // The kernel's max_reclassify_loop: past 16 gotos the frame is dropped.
      if (next >= 0 && ++gotos > TC_MAX_GOTOS) {
        this.lost = true;
        break;
      }
      rules = next < 0 ? undefined : chains?.get(next);
    }
    return this.out.delivered;
  }
}
