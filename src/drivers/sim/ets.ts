import { fairShare } from './fair.js';

/** A traffic class as the uplink scheduler sees it. */
export interface ClassSpec {
  /** Bandwidth % of the link (its ETS weight). */
  bandwidth: number;
  strict: boolean;
  group: number;
}

/** Weight of a 0 % class: it gets only what the others leave, but never nothing. */
const IDLE_WEIGHT = 1e-3;

function weightOf(c: ClassSpec): number {
  return Math.max(c.bandwidth, IDLE_WEIGHT);
}

/**
 * The uplink's allocation rule (docs/qos.md), one level at a time over rates in bytes/ns:
 *
 * 1. each source's `minTxRate` is served first, off the top (the guaranteed rate);
 * 2. strict-priority classes, highest class first, take what they ask for of the rest
 *    (802.1Qaz strict priority; 82599 link strict priority);
 * 3. the other classes share what remains in proportion to their bandwidth % (ETS), first
 *    between bandwidth groups (a group weighs the sum of its classes), then inside each
 *    group, so a class's unused bandwidth goes to its group before any other;
 * 4. inside a class, each source's share is a guaranteed minimum of the class and the rest
 *    is split equally between the sources that want more (max-min fair).
 *
 * Each level hands the next the fair rate of its entry (not only what it used), so a source
 * that sent little may grow into its fair rate before the next epoch; the link itself is
 * enforced separately. Pure computation over arrays allocated once: no I/O, no clock, and
 * nothing allocated per epoch.
 */
export class UplinkAllocator {
  private readonly sources: number;
  private readonly classes: readonly ClassSpec[];
  /** The ETS classes of each bandwidth group. */
  private readonly members: number[][];
  private readonly groupRate: Float64Array;
  private readonly rest: Float64Array;
  private readonly classDemand: Float64Array;
  private readonly classRate: Float64Array;
  private readonly a: Float64Array;
  private readonly b: Float64Array;
  private readonly w: Float64Array;
  private readonly out: Float64Array;

  constructor(sources: number, classes: readonly ClassSpec[]) {
    this.sources = sources;
    this.classes = classes;
    const groups = [...new Set(classes.filter((c) => !c.strict).map((c) => c.group))];
    this.members = groups.map((g) =>
      classes.flatMap((c, i) => (!c.strict && c.group === g ? [i] : [])),
    );
    this.groupRate = new Float64Array(groups.length);
    const n = Math.max(sources, classes.length, 1);
    this.rest = new Float64Array(sources * classes.length);
    this.classDemand = new Float64Array(classes.length);
    this.classRate = new Float64Array(classes.length);
    this.a = new Float64Array(n);
    this.b = new Float64Array(n);
    this.w = new Float64Array(n);
    this.out = new Float64Array(n);
  }

  /**
   * `demand[s·K + c]`: what source s offered in class c; `minRate[s]`: its guaranteed rate;
   * `shares[s·K + c]`: its share (%) of class c. Writes the rate each (s, c) may use.
   */
  allocate(
    capacity: number,
    demand: Float64Array,
    minRate: Float64Array,
    shares: Float64Array,
    rate: Float64Array,
  ): void {
    const left = this.serveGuarantees(capacity, demand, minRate, rate);
    const afterStrict = this.serveStrict(left);
    this.shareGroups(afterStrict);
    for (let c = 0; c < this.classes.length; c++) this.shareClass(c, shares, rate);
  }

  private serveGuarantees(
    capacity: number,
    demand: Float64Array,
    minRate: Float64Array,
    rate: Float64Array,
  ): number {
    const k = this.classes.length;
    let left = capacity;
    this.classDemand.fill(0);
    for (let s = 0; s < this.sources; s++) {
      let total = 0;
      for (let c = 0; c < k; c++) total += demand[s * k + c];
      const guaranteed = Math.min(total, minRate[s]);
      left -= guaranteed;
      for (let c = 0; c < k; c++) {
        const d = demand[s * k + c];
        const part = total > 0 ? (guaranteed * d) / total : 0;
        rate[s * k + c] = part;
        this.rest[s * k + c] = d - part;
        this.classDemand[c] += d - part;
      }
    }
    return Math.max(0, left);
  }

  private serveStrict(left: number): number {
    for (let c = this.classes.length - 1; c >= 0; c--) {
      if (!this.classes[c].strict) continue;
      this.classRate[c] = left;
      left = Math.max(0, left - this.classDemand[c]);
    }
    return left;
  }

  private shareGroups(left: number): void {
    const { a, b, w, out, members } = this;
    for (let g = 0; g < members.length; g++) {
      a[g] = 0;
      b[g] = 0;
      w[g] = 0;
      const group = members[g];
      for (let i = 0; i < group.length; i++) {
        a[g] += this.classDemand[group[i]];
        w[g] += weightOf(this.classes[group[i]]);
      }
    }
    fairShare(left, members.length, a, b, w, out);
    for (let g = 0; g < members.length; g++) this.groupRate[g] = out[g];
    for (let g = 0; g < members.length; g++) this.shareGroup(members[g], this.groupRate[g]);
  }

  private shareGroup(classes: readonly number[], capacity: number): void {
    const { a, b, w, out } = this;
    for (let i = 0; i < classes.length; i++) {
      a[i] = this.classDemand[classes[i]];
      b[i] = 0;
      w[i] = weightOf(this.classes[classes[i]]);
    }
    fairShare(capacity, classes.length, a, b, w, out);
    for (let i = 0; i < classes.length; i++) this.classRate[classes[i]] = out[i];
  }

  private shareClass(c: number, shares: Float64Array, rate: Float64Array): void {
    const { a, b, w, out } = this;
    const k = this.classes.length;
    const capacity = this.classRate[c];
    for (let s = 0; s < this.sources; s++) {
      a[s] = this.rest[s * k + c];
      b[s] = (shares[s * k + c] / 100) * capacity;
      w[s] = 1;
    }
    fairShare(capacity, this.sources, a, b, w, out);
    for (let s = 0; s < this.sources; s++) rate[s * k + c] += out[s];
  }
}
