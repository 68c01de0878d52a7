import type {
  EswitchOutcome,
  EswitchPort,
  EswitchRule,
  ObservedRule,
  RuleDiff,
} from '../../../model/index.js';
import {
  clsactLine,
  type DevOf,
  deleteLine,
  LAG_CHAIN_SPAN,
  replaceLine,
  ruleWho,
  showLine,
  type TcPlace,
  type TcPlacement,
} from './tc-lines.js';
import { batchErrors, type KernelFilter, parseFilters, splitJson } from './tc-read.js';
import type { TcRunner } from './tc-run.js';

/** TCA_ACT_MAX_PRIO: actions one filter can hold. */
export const TC_MAX_ACTIONS = 32;

/** Port → netdev of one PF's eswitch: the uplink and each VF's representor. */
export type PortMap = ReadonlyMap<EswitchPort, string>;

/**
 * The uplink is a bond the members of a hardware VF-LAG share: this PF's uplink rules take
 * chains `base` to `base + LAG_CHAIN_SPAN - 1` there, and only those filters on the bond
 * are this PF's (the other member's are neither read as its own nor removed as foreign).
 */
export interface LagUplink {
  base: number;
}

/** Where rules go for one call: the netdevs, and the chain shift of the uplink's rules. */
interface Where {
  devOf: DevOf;
  shift: (rule: EswitchRule) => number;
  uplink: string | undefined;
  lag: LagUplink | undefined;
}

function whereOf(ports: PortMap, lag: LagUplink | undefined): Where {
  const base = lag?.base ?? 0;
  return {
    devOf: devOfPorts(ports),
    shift: (r) => (r.port === 'uplink' ? base : 0),
    uplink: ports.get('uplink'),
    lag,
  };
}

/** Whether a filter read from `f.dev` belongs to this PF (a shared bond: its chains only). */
function mine(w: Where, f: { dev: string; chain: number }): boolean {
  if (!w.lag || f.dev !== w.uplink) return true;
  return f.chain >= w.lag.base && f.chain < w.lag.base + LAG_CHAIN_SPAN;
}

interface Entry {
  rule: EswitchRule;
  place: TcPlace;
  cookie: string;
}

/** What is on the ports and not in the ledger: kept by id so a diff can remove it. */
interface Foreign {
  place: TcPlace;
  cookie: string | null;
}

function key(p: Omit<TcPlace, 'protocol' | 'handle'> & { handle?: number }): string {
  return `${p.dev}/${p.chain}/${p.prio}${p.handle === undefined ? '' : `/${p.handle}`}`;
}

function devOfPorts(ports: PortMap): DevOf {
  return (port) => {
    const dev = ports.get(port);
    if (!dev) throw new Error(`port ${port} has no netdev (its representor is missing)`);
    return dev;
  };
}

/**
 * One PF's eswitch in the kernel: the ledger of the filters nicvisor installed (rule id →
 * place and cookie), the batches that change them, and the read-back that finds rules
 * deleted or changed behind nicvisor's back and filters it did not put there.
 */
export class TcEswitch {
  private readonly ledger = new Map<string, Entry>();
  private foreign = new Map<string, Foreign>();
  private readonly clsact = new Set<string>();

  constructor(
    readonly pf: string,
    private readonly tc: TcRunner,
    private readonly placement: TcPlacement,
  ) {}

  /** The netdev was re-created (a VF-LAG's bond rebuilt): its clsact must be added again. */
  forgetDev(dev: string): void {
    this.clsact.delete(dev);
  }

  /** Representors are new (VF count or eswitch mode changed): every filter went with them. */
  forget(): void {
    this.ledger.clear();
    this.foreign.clear();
    this.clsact.clear();
  }

  get size(): number {
    return this.ledger.size;
  }

  /**
   * Equivalent to: `tc -s -j filter show dev DEV ingress` for every port, in one process.
   * On an uplink shared by a VF-LAG's members, only this PF's chains.
   */
  async read(ports: PortMap, lag?: LagUplink): Promise<KernelFilter[]> {
    const devs = [...new Set(ports.values())];
    if (devs.length === 0) return [];
    const r = await this.tc(['-s', '-j', '-batch', '-'], `${devs.map(showLine).join('\n')}\n`);
    // A port without clsact answers nothing (or an error line): it has no filters.
    const answers = splitJson(r.stdout);
    const w = whereOf(ports, lag);
    return devs.flatMap((dev, i) => parseFilters(dev, answers[i])).filter((f) => mine(w, f));
  }

  /**
   * Where a ledger entry should be now, or null when it is where it belongs: its port moved
   * to another netdev (the uplink became a VF-LAG's bond, or stopped being one), or a netdev
   * it sends to did (a VF's `mirred` to the uplink), so it must be installed again.
   */
  private misplaced(e: Entry, w: Where): string | null {
    let now: { cookie: string; place: TcPlace };
    try {
      now = replaceLine(e.rule, e.place.handle, w.devOf, this.placement, w.shift(e.rule));
    } catch (err) {
      return (err as Error).message;
    }
    if (now.place.dev !== e.place.dev || now.place.chain !== e.place.chain) {
      return `rule ${e.rule.id} belongs on ${now.place.dev} chain ${now.place.chain}, not ${e.place.dev} chain ${e.place.chain}`;
    }
    return now.cookie === e.cookie ? null : `rule ${e.rule.id} sends to a port that moved`;
  }

  /** The installed rules with counters, plus anything foreign on the ports (to remove). */
  async observe(ports: PortMap, lag?: LagUplink): Promise<ObservedRule[]> {
    const filters = await this.read(ports, lag);
    const w = whereOf(ports, lag);
    const byPlace = new Map(filters.map((f) => [key(f), f]));
    const out: ObservedRule[] = [];
    const owned = new Set<string>();
    for (const e of this.ledger.values()) {
      const f = byPlace.get(key(e.place));
      if (!f || f.cookie !== e.cookie) continue;
      owned.add(key(f));
      // Still nicvisor's filter, but no longer what the rule needs: left out, so the next
      // diff installs it again (replaced in place, or moved and the old one removed).
      if (this.misplaced(e, w)) continue;
      const { packets, bytes, drops, inHw, handle } = f;
      out.push({ ...e.rule, packets, bytes, drops, inHw, handle });
    }
    const portOf = new Map([...ports].map(([p, d]) => [d, p]));
    this.foreign = new Map();
    for (const f of filters) {
      const port = portOf.get(f.dev);
      if (owned.has(key(f)) || !port) continue;
      const id = `${port}/${f.chain}/foreign/${f.prio}/${f.handle}`;
      this.foreign.set(id, { place: f, cookie: f.cookie });
      out.push({
        id,
        owner: 'pf',
        port,
        chain: f.chain,
        prio: f.prio,
        match: { protocol: 'all' },
        actions: [{ kind: 'drop' }],
        why: `a filter nicvisor did not install (${f.protocol}, handle ${f.handle}): to be removed`,
        packets: f.packets,
        bytes: f.bytes,
        drops: f.drops,
        inHw: f.inHw,
        handle: f.handle,
      });
    }
    return out;
  }

  /** Whether the kernel's filters still are the ledger, exactly (the drift check). */
  async drifted(ports: PortMap, lag?: LagUplink): Promise<string | null> {
    const w = whereOf(ports, lag);
    for (const e of this.ledger.values()) {
      const why = this.misplaced(e, w);
      if (why) return why;
    }
    const filters = await this.read(ports, lag);
    const byPlace = new Map(filters.map((f) => [key(f), f]));
    for (const e of this.ledger.values()) {
      const f = byPlace.get(key(e.place));
      if (!f) return `rule ${e.rule.id} is gone from ${e.place.dev}`;
      if (f.cookie !== e.cookie) return `rule ${e.rule.id} was changed on ${e.place.dev}`;
    }
    if (filters.length > this.ledger.size) {
      return `${filters.length - this.ledger.size} filters nicvisor did not install`;
    }
    return null;
  }

  /**
   * Installs a diff: every added and changed rule in one `tc -force -batch -`; when the
   * kernel refused any, the ones this apply put in are taken out again (changed ones put
   * back as they were) and nothing is removed, so no half-applied set stays behind.
   * Only then the old rules go, in a second batch: the VF is never unfiltered in between.
   */
  async apply(diff: RuleDiff, ports: PortMap, lag?: LagUplink): Promise<EswitchOutcome> {
    const w = whereOf(ports, lag);
    const fail = (failures: { rule: EswitchRule; error: string }[]): EswitchOutcome => ({
      diff,
      status: 'failed',
      failures,
    });
    let plan: Installing;
    try {
      plan = this.prepare([...diff.add, ...diff.change], w);
    } catch (e) {
      const error = (e as Error).message;
      return fail([...diff.add, ...diff.change].map((rule) => ({ rule, error })));
    }
    const refused = await this.install(plan);
    if (refused.length > 0) {
      await this.rollBack(plan, w);
      return fail(
        refused.map(({ rule, error }) => ({ rule, error: `${ruleWho(rule)}: ${error}` })),
      );
    }
    // A rule that moved (same id, new chain or prio) leaves its old filter to remove.
    const moved: Entry[] = [];
    for (const n of plan.items) {
      const before = this.ledger.get(n.entry.rule.id);
      if (before && !n.old) moved.push(before);
      this.ledger.set(n.entry.rule.id, n.entry);
    }
    return this.remove(diff, moved);
  }

  private prepare(rules: EswitchRule[], w: Where): Installing {
    const { devOf } = w;
    const used = new Map<string, number>();
    const bump = (p: Omit<TcPlace, 'protocol' | 'handle'>, h: number) => {
      const k = key({ dev: p.dev, chain: p.chain, prio: p.prio });
      used.set(k, Math.max(used.get(k) ?? 0, h));
    };
    for (const e of this.ledger.values()) bump(e.place, e.place.handle);
    for (const f of this.foreign.values()) bump(f.place, f.place.handle);
    const byCookie = new Map<string, Foreign>();
    for (const f of this.foreign.values()) if (f.cookie) byCookie.set(f.cookie, f);
    const items: Installing['items'] = [];
    for (const rule of rules) {
      if (rule.actions.length > TC_MAX_ACTIONS) {
        // The kernel parses at most TCA_ACT_MAX_PRIO actions and silently drops the rest
        // (found by bench/switchdev.ts: a flood to 40 ports lost its last deliveries).
        throw new Error(
          `${ruleWho(rule)}: ${rule.actions.length} actions, but a TC filter holds at most ${TC_MAX_ACTIONS} (TCA_ACT_MAX_PRIO); fix: fewer ports in one VLAN on this PF`,
        );
      }
      const old = this.ledger.get(rule.id);
      const dev = devOf(rule.port);
      const shift = w.shift(rule);
      const at = { dev, chain: rule.chain + shift, prio: rule.prio };
      const same = old && key(old.place) === key({ ...at, handle: old.place.handle });
      const probe = replaceLine(rule, 0, devOf, this.placement, shift);
      // After a restart the ledger is empty: a filter with this very rule's cookie is it.
      const found = byCookie.get(probe.cookie);
      const adopt = found && key(found.place) === key({ ...at, handle: found.place.handle });
      const handle = same
        ? old.place.handle
        : adopt && found
          ? found.place.handle
          : (used.get(key(at)) ?? 0) + 1;
      bump(at, handle);
      const { line, cookie, place } = replaceLine(rule, handle, devOf, this.placement, shift);
      items.push({
        entry: { rule, place, cookie },
        line: adopt ? null : line,
        old: same ? old : null,
      });
    }
    const devs = new Set(items.filter((i) => i.line).map((i) => i.entry.place.dev));
    return { items, clsact: [...devs].filter((d) => !this.clsact.has(d)) };
  }

  private async install(plan: Installing): Promise<{ rule: EswitchRule; error: string }[]> {
    const lines = plan.clsact.map(clsactLine);
    // A foreign filter (left by an earlier run, or not nicvisor's) in a slot a new rule takes
    // (same port, chain and prio) would make the kernel refuse the new one ("File exists":
    // same key under the same mask, or another protocol at that prio): it goes first, in the
    // same batch, microseconds before its replacement.
    const slots = new Set(
      plan.items
        .filter((n) => n.line)
        .map((n) =>
          key({ dev: n.entry.place.dev, chain: n.entry.place.chain, prio: n.entry.place.prio }),
        ),
    );
    // Filters this apply adopts (its own cookie, after a restart) stay.
    const adopted = new Set(plan.items.filter((n) => !n.line).map((n) => n.entry.cookie));
    for (const [id, f] of this.foreign) {
      if (f.cookie && adopted.has(f.cookie)) continue;
      if (!slots.has(key({ dev: f.place.dev, chain: f.place.chain, prio: f.place.prio }))) continue;
      lines.push(deleteLine(f.place));
      this.foreign.delete(id);
    }
    const lineOf = new Map<number, Entry>();
    for (const n of plan.items) {
      if (!n.line) continue;
      lines.push(n.line);
      lineOf.set(lines.length, n.entry);
    }
    if (lines.length === 0) return [];
    const r = await this.tc(['-force', '-batch', '-'], `${lines.join('\n')}\n`);
    const errors = batchErrors(r.stderr);
    const refused: { rule: EswitchRule; error: string }[] = [];
    plan.clsact.forEach((dev, i) => {
      const e = errors.get(i + 1);
      // "File exists": the port has its clsact already (another run, or the operator's).
      if (!e || /exists|exclusivity/i.test(e)) this.clsact.add(dev);
      else
        refused.push(
          ...plan.items
            .filter((n) => n.entry.place.dev === dev)
            .map((n) => ({ rule: n.entry.rule, error: `clsact on ${dev}: ${e}` })),
        );
    });
    for (const [n, entry] of lineOf) {
      const e = errors.get(n);
      if (e) refused.push({ rule: entry.rule, error: `the kernel refused it: ${e}` });
    }
    if (refused.length === 0 && r.code !== 0 && errors.size === 0) {
      const why = r.stderr.trim() || `tc exited with status ${r.code}`;
      return plan.items.map((n) => ({ rule: n.entry.rule, error: why }));
    }
    return refused;
  }

  /** Takes out what an apply put in and puts back what it changed (errors: best effort). */
  private async rollBack(plan: Installing, w: Where): Promise<void> {
    const lines: string[] = [];
    for (const n of plan.items) {
      if (!n.line) continue;
      const o = n.old;
      // Put back as it was: the old line is rebuilt at its old place (same dev and chain).
      if (o) lines.push(oldLine(o, w, this.placement));
      else lines.push(deleteLine(n.entry.place));
    }
    if (lines.length > 0) await this.tc(['-force', '-batch', '-'], `${lines.join('\n')}\n`);
  }

  private async remove(diff: RuleDiff, moved: Entry[]): Promise<EswitchOutcome> {
    const lines: string[] = [];
    const whose: EswitchRule[] = [];
    for (const e of moved) {
      lines.push(deleteLine(e.place));
      whose.push(e.rule);
    }
    const live = new Set([...this.ledger.values()].map((e) => key(e.place)));
    const installed = new Set([...diff.add, ...diff.change].map((r) => r.id));
    for (const rule of diff.remove) {
      const entry = this.ledger.get(rule.id);
      if (entry && !installed.has(rule.id)) {
        lines.push(deleteLine(entry.place));
        whose.push(rule);
        this.ledger.delete(rule.id);
        continue;
      }
      const f = this.foreign.get(rule.id);
      // A foreign filter whose place a rule of this apply took over is gone already.
      if (f && !live.has(key(f.place))) {
        lines.push(deleteLine(f.place));
        whose.push(rule);
      }
      this.foreign.delete(rule.id);
    }
    if (lines.length === 0) return { diff, status: 'done' };
    const r = await this.tc(['-force', '-batch', '-'], `${lines.join('\n')}\n`);
    const failures: { rule: EswitchRule; error: string }[] = [];
    for (const [n, e] of batchErrors(r.stderr)) {
      // Already gone (deleted behind nicvisor's back, or its netdev went, e.g. a VF-LAG's
      // bond deleted with its filters): what removing it wanted.
      if (/not found|cannot find device/i.test(e)) continue;
      const rule = whose[n - 1];
      if (rule)
        failures.push({ rule, error: `${ruleWho(rule)}: the kernel would not remove it: ${e}` });
    }
    return failures.length === 0 ? { diff, status: 'done' } : { diff, status: 'failed', failures };
  }
}

/**
 * The line that restores an entry a refused apply changed in place (`same` place, so the
 * current ports and shift give it back; only the cookie may differ, and the old cookie's
 * line is what the ledger still holds).
 */
function oldLine(o: Entry, w: Where, placement: TcPlacement): string {
  return replaceLine(o.rule, o.place.handle, w.devOf, placement, w.shift(o.rule)).line;
}

interface Installing {
  items: { entry: Entry; line: string | null; old: Entry | null }[];
  clsact: string[];
}
