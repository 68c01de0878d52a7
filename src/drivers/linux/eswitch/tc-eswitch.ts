import type {
  EswitchOutcome,
  EswitchPort,
  EswitchRule,
  ObservedRule,
  RuleDiff,
} from '../../../model/index.js';
import { TC_MAX_ACTIONS } from '../../../policy/eswitch/spill.js';
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

/** TCA_ACT_MAX_PRIO: actions one filter can hold (the compiler splits longer floods). */
export { TC_MAX_ACTIONS } from '../../../policy/eswitch/spill.js';

/** How often a watching drift check reads every netdev anyway (a notification lost unseen). */
const FULL_READ_MS = 30_000;

/** Port → netdev of one PF's eswitch: the uplink and each VF's representor. */
export type PortMap = ReadonlyMap<EswitchPort, string>;
/** Port → ifindex of its netdev, where known: a netdev that came back has a new one. */
export type PortIds = ReadonlyMap<EswitchPort, number>;

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
  /** `renewals` when it was installed: a port renewed later makes it stale. */
  epoch: number;
}

/** Where a port's netdev was last seen. */
interface Home {
  dev: string;
  ifindex?: number;
  /** Gone from the port map at the last look (its rules went with it). */
  gone: boolean;
  /** The `renewals` count when this port's netdev was last found new. */
  renewed: number;
}

/** The ports a rule's filter depends on: its own and every mirred target. */
function portsOf(r: EswitchRule): EswitchPort[] {
  const out = [r.port];
  for (const a of r.actions) if (a.kind === 'mirror' || a.kind === 'redirect') out.push(a.to);
  return out;
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
  /**
   * Each port's netdev as last seen, so the ledger follows it: a rename (same ifindex, or
   * none known) moves the port's filters to the new name (the kernel keeps them); a netdev
   * that vanished or came back with a new ifindex (VF recreated, driver reload, netns move)
   * took its filters and clsact with it, and every rule whose mirred names it points at
   * nothing: those rules are stale until installed again.
   */
  private readonly homes = new Map<EswitchPort, Home>();
  private renewals = 0;
  private watching = false;
  /** Filters of each netdev as last read while watching, until a notification names it. */
  private readonly cache = new Map<string, KernelFilter[]>();
  private fullAt = 0;
  /** observe, drifted, heal and apply run one at a time (the drift poll runs beside applies). */
  private queue: Promise<unknown> = Promise.resolve();
  /**
   * What changed in the ports since the last drift check (its answer). A port found renewed
   * (`port` set) is news until its rules are back: an apply or heal that reinstalls every
   * rule depending on it answers it, so a drift check after a re-plan does not report it.
   */
  private news: News[] = [];
  /** The VF-LAG chain base the uplink had at the last look (undefined: no LAG). */
  private lagBase: number | undefined = undefined;

  constructor(
    readonly pf: string,
    private readonly tc: TcRunner,
    private readonly placement: TcPlacement,
  ) {}

  /** The netdev was re-created (a VF-LAG's bond rebuilt): its clsact must be added again. */
  forgetDev(dev: string): void {
    this.clsact.delete(dev);
    this.cache.delete(dev);
  }

  /**
   * The uplink became a VF-LAG's bond or stopped being one: no rename of its netdev (the
   * filters stay where they were), but a new one. Its home is renewed, so every rule that
   * depends on it (its own, and the VFs' redirects to the wire) is stale: the next diff
   * installs them on the new uplink, and removes the uplink's old filters (`misplaced`).
   */
  private relag(lag: LagUplink | undefined, ports: PortMap): void {
    if (lag?.base === this.lagBase) return;
    this.lagBase = lag?.base;
    const dev = ports.get('uplink');
    if (!dev || !this.homes.has('uplink')) return;
    this.renewals++;
    this.cache.delete(dev);
    this.homes.set('uplink', { dev, gone: false, renewed: this.renewals });
  }

  /**
   * Why a ledger entry's filter is not where its rule goes now (its port's netdev or chain
   * changed: the uplink became a VF-LAG's bond, or stopped being one), or null. Such a rule
   * is moved by a diff (installed at the new place, the old filter removed), never healed in
   * place.
   */
  private misplaced(e: Entry, w: Where): string | null {
    const dev = w.uplink !== undefined && e.rule.port === 'uplink' ? w.uplink : e.place.dev;
    const chain = e.rule.chain + w.shift(e.rule);
    if (dev === e.place.dev && chain === e.place.chain) return null;
    return `rule ${e.rule.id} belongs on ${dev} chain ${chain}, not ${e.place.dev} chain ${e.place.chain}`;
  }

  /** Representors are new (VF count or eswitch mode changed): every filter went with them. */
  forget(): void {
    this.ledger.clear();
    this.foreign.clear();
    this.clsact.clear();
    this.homes.clear();
    this.news = [];
    this.cache.clear();
  }

  /** Follows renames and renewals of the ports' netdevs (see `homes`). */
  private rehome(ports: PortMap, ids?: PortIds): void {
    for (const [port, dev] of ports) {
      const ifindex = ids?.get(port);
      const h = this.homes.get(port);
      if (!h) {
        this.homes.set(port, { dev, ifindex, gone: false, renewed: 0 });
        continue;
      }
      const renewed =
        h.gone || (ifindex !== undefined && h.ifindex !== undefined && ifindex !== h.ifindex);
      if (renewed) {
        this.renewals++;
        this.clsact.delete(h.dev);
        this.clsact.delete(dev);
        this.cache.delete(h.dev);
        this.cache.delete(dev);
        const was = h.ifindex !== undefined ? `, was ${h.ifindex}` : '';
        this.news.push({
          port,
          text: `the netdev of ${port} is new (${dev}${ifindex !== undefined ? `, ifindex ${ifindex}` : ''}${was}): its rules and those that mirror to it are reinstalled`,
        });
        this.homes.set(port, { dev, ifindex, gone: false, renewed: this.renewals });
        continue;
      }
      if (h.dev !== dev) {
        // A rename: the filters stay on the netdev, under its new name.
        for (const e of this.ledger.values())
          if (e.rule.port === port) e.place = { ...e.place, dev };
        for (const f of this.foreign.values())
          if (f.place.dev === h.dev) f.place = { ...f.place, dev };
        if (this.clsact.delete(h.dev)) this.clsact.add(dev);
        this.cache.delete(h.dev);
        h.dev = dev;
      }
      if (ifindex !== undefined) h.ifindex = ifindex;
    }
    for (const [port, h] of this.homes) {
      if (ports.has(port) || h.gone) continue;
      h.gone = true;
      this.clsact.delete(h.dev);
      this.news.push({ text: `the netdev of ${port} (${h.dev}) is gone, and its rules with it` });
    }
  }

  /**
   * A port with rules in the ledger and not one of them in the kernel has a new netdev too,
   * whatever its ifindex: a netns move and back keeps the ifindex but flushes the clsact,
   * and a quick recreate may come back before anyone looked.
   */
  private renewEmptied(filters: readonly KernelFilter[], ports: PortMap): void {
    const have = new Set(filters.map((f) => key(f)));
    const kept = new Map<EswitchPort, boolean>();
    for (const e of this.ledger.values()) {
      const p = e.rule.port;
      if (!ports.has(p) || this.stale(e)) continue;
      kept.set(p, (kept.get(p) ?? false) || have.has(key(e.place)));
    }
    for (const [port, any] of kept) {
      const h = this.homes.get(port);
      if (any || !h) continue;
      this.renewals++;
      h.renewed = this.renewals;
      this.clsact.delete(h.dev);
      this.news.push({
        port,
        text: `every rule of ${port} is gone from ${h.dev} (its netdev was recreated or moved): its rules and those that mirror to it are reinstalled`,
      });
    }
  }

  /**
   * Drops the news of renewed ports whose rules an install just put back (none depending on
   * them is stale any more): the renewal was answered, and is no drift to report later. Two
   * VF-LAG members sharing a rebuilt bond hit this: the member only re-planned found its
   * chains emptied in observe, reinstalled them, and its next drift check still said so.
   */
  private answered(): void {
    this.news = this.news.filter(
      (n) =>
        n.port === undefined ||
        [...this.ledger.values()].some(
          (e) => this.stale(e) && portsOf(e.rule).includes(n.port as EswitchPort),
        ),
    );
  }

  /** Installed before a port it depends on was renewed: its filter is gone or points at nothing. */
  private stale(e: Entry): boolean {
    for (const p of portsOf(e.rule)) {
      const h = this.homes.get(p);
      if (h && h.renewed > e.epoch) return true;
    }
    return false;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  get size(): number {
    return this.ledger.size;
  }

  /** Equivalent to: `tc -s -j filter show dev DEV ingress` for every port, in one process. */
  async read(ports: PortMap, lag?: LagUplink): Promise<KernelFilter[]> {
    return this.readSome(ports, false, lag);
  }

  /**
   * TC notifications are heard (the driver's drift watcher calls touched()): a drift check
   * then reads only the netdevs a notification named since their last read, and keeps the
   * others' filters from then. A full read still happens every FULL_READ_MS.
   */
  watch(on: boolean): void {
    this.watching = on;
    if (!on) this.cache.clear();
  }

  /** A TC notification for this netdev (null: notifications were lost, so every netdev). */
  touched(dev: string | null): void {
    if (dev === null) this.cache.clear();
    else this.cache.delete(dev);
  }

  /** One `tc -force -batch -` of changes; the netdevs it names are read afresh next time. */
  private change(input: string) {
    for (const m of input.matchAll(/ dev (\S+)/g)) this.cache.delete(m[1]);
    return this.tc(['-force', '-batch', '-'], input);
  }

  /**
   * `tc -s -j filter show` of the ports' netdevs in one process: of all of them, or (`cached`,
   * while watching) only of those no notification left unchanged since their last read.
   */
  private async readSome(
    ports: PortMap,
    cached: boolean,
    lag?: LagUplink,
  ): Promise<KernelFilter[]> {
    const all = [...new Set(ports.values())];
    if (!this.watching || Date.now() - this.fullAt > FULL_READ_MS) cached = false;
    const devs = cached ? all.filter((d) => !this.cache.has(d)) : all;
    if (!cached) this.fullAt = Date.now();
    // Forgotten before the read: a notification during it marks the netdev again.
    for (const d of devs) this.cache.delete(d);
    let fresh: KernelFilter[][] = [];
    if (devs.length > 0) {
      const r = await this.tc(['-s', '-j', '-batch', '-'], `${devs.map(showLine).join('\n')}\n`);
      // A port without clsact answers nothing (or an error line): it has no filters.
      const answers = splitJson(r.stdout);
      // On an uplink shared by a VF-LAG's members, only this PF's chains.
      const w = whereOf(ports, lag);
      fresh = devs.map((dev, i) => parseFilters(dev, answers[i]).filter((f) => mine(w, f)));
    }
    if (this.watching) for (const [i, d] of devs.entries()) this.cache.set(d, fresh[i]);
    const got = new Map(devs.map((d, i) => [d, fresh[i]]));
    return all.flatMap((d) => got.get(d) ?? this.cache.get(d) ?? []);
  }

  /** The installed rules with counters, plus anything foreign on the ports (to remove). */
  observe(ports: PortMap, ids?: PortIds, lag?: LagUplink): Promise<ObservedRule[]> {
    return this.exclusive(() => this.observeNow(ports, ids, lag));
  }

  private async observeNow(
    ports: PortMap,
    ids?: PortIds,
    lag?: LagUplink,
  ): Promise<ObservedRule[]> {
    this.relag(lag, ports);
    this.rehome(ports, ids);
    const w = whereOf(ports, lag);
    const filters = await this.read(ports, lag);
    this.renewEmptied(filters, ports);
    const byPlace = new Map(filters.map((f) => [key(f), f]));
    const out: ObservedRule[] = [];
    const owned = new Set<string>();
    for (const e of this.ledger.values()) {
      const f = byPlace.get(key(e.place));
      if (!f || f.cookie !== e.cookie) continue;
      owned.add(key(f));
      // Its filter is there but names a netdev that is no more: reported missing, so the
      // next diff installs it again (in place, by `replace`).
      if (this.stale(e)) continue;
      // Still nicvisor's filter, but not where the rule goes now (the uplink moved): left
      // out, so the next diff installs it there and removes this one.
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
  drifted(ports: PortMap, ids?: PortIds, lag?: LagUplink): Promise<string | null> {
    return this.exclusive(() => this.driftedNow(ports, ids, lag));
  }

  private async driftedNow(ports: PortMap, ids?: PortIds, lag?: LagUplink): Promise<string | null> {
    this.relag(lag, ports);
    this.rehome(ports, ids);
    const news = this.news;
    this.news = [];
    if (news.length > 0) return news.map((n) => n.text).join('; ');
    const w = whereOf(ports, lag);
    for (const e of this.ledger.values()) {
      const why = this.misplaced(e, w);
      if (why) return why;
    }
    const filters = await this.readSome(ports, true, lag);
    this.renewEmptied(filters, ports);
    const later = this.news;
    this.news = [];
    if (later.length > 0) return later.map((n) => n.text).join('; ');
    const byPlace = new Map(filters.map((f) => [key(f), f]));
    for (const e of this.ledger.values()) {
      // A rule on a port that is gone went with it; reported once, when it went.
      if (this.homes.get(e.rule.port)?.gone) continue;
      if (this.stale(e)) return `rule ${e.rule.id} names a netdev that is no more`;
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
  apply(diff: RuleDiff, ports: PortMap, ids?: PortIds, lag?: LagUplink): Promise<EswitchOutcome> {
    return this.exclusive(() => this.applyNow(diff, ports, ids, lag));
  }

  /**
   * The drift check that repairs what it finds, in one read and one batch: every rule of the
   * ledger whose filter is gone, changed or stale (a port's netdev renewed) is put back at
   * its place with `filter replace`, as it was last applied, without waiting for a plan
   * (the daemon re-plans after, for anything else: foreign filters, a changed policy).
   * Returns what drifted and what was put back, or null when nothing did.
   */
  heal(ports: PortMap, ids?: PortIds, lag?: LagUplink): Promise<Healed | null> {
    return this.exclusive(() => this.healNow(ports, ids, lag));
  }

  private async healNow(ports: PortMap, ids?: PortIds, lag?: LagUplink): Promise<Healed | null> {
    this.relag(lag, ports);
    this.rehome(ports, ids);
    const w = whereOf(ports, lag);
    // The uplink moved (a VF-LAG built or removed): not a drift to put back where it was,
    // but rules to move, which the next plan does (install at the new place, then remove).
    for (const e of this.ledger.values()) {
      const why = this.misplaced(e, w);
      if (why) return { why, repaired: 0, failed: [] };
    }
    const filters = await this.readSome(ports, true, lag);
    this.renewEmptied(filters, ports);
    const why = this.news.map((n) => n.text);
    this.news = [];
    const byPlace = new Map(filters.map((f) => [key(f), f]));
    const lost: Entry[] = [];
    let changed = 0;
    let held = 0;
    for (const e of this.ledger.values()) {
      if (!ports.has(e.rule.port)) continue; // gone with its netdev: back when it is
      const f = byPlace.get(key(e.place));
      if (f?.cookie === e.cookie) held++;
      if (f && f.cookie === e.cookie && !this.stale(e)) continue;
      if (f && f.cookie !== e.cookie) changed++;
      lost.push(e);
    }
    if (lost.length > 0) {
      const first = lost[0];
      why.push(
        `${lost.length} rules gone or changed (${changed} changed), e.g. ${first.rule.id} on ${first.place.dev}`,
      );
    }
    if (filters.length > held + changed)
      why.push(`${filters.length - held - changed} filters nicvisor did not install`);
    if (why.length === 0) return null;
    const items: Installing['items'] = [];
    const failed: string[] = [];
    for (const e of lost) {
      try {
        const shift = w.shift(e.rule);
        const { line, cookie, place } = replaceLine(
          e.rule,
          e.place.handle,
          w.devOf,
          this.placement,
          shift,
        );
        items.push({
          entry: { rule: e.rule, place, cookie, epoch: this.renewals },
          line,
          old: null,
        });
      } catch (err) {
        failed.push(`${ruleWho(e.rule)}: ${(err as Error).message}`);
      }
    }
    const devs = new Set(items.map((i) => i.entry.place.dev));
    const plan: Installing = { items, clsact: [...devs].filter((d) => !this.clsact.has(d)) };
    const refused = await this.install(plan);
    const bad = new Set(refused.map((r) => r.rule.id));
    for (const r of refused) failed.push(`${ruleWho(r.rule)}: ${r.error}`);
    let repaired = 0;
    for (const n of items) {
      if (bad.has(n.entry.rule.id)) continue;
      this.ledger.set(n.entry.rule.id, n.entry);
      repaired++;
    }
    return { why: why.join('; '), repaired, failed };
  }

  private async applyNow(
    diff: RuleDiff,
    ports: PortMap,
    ids?: PortIds,
    lag?: LagUplink,
  ): Promise<EswitchOutcome> {
    this.relag(lag, ports);
    this.rehome(ports, ids);
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
    this.answered();
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
          `${ruleWho(rule)}: ${rule.actions.length} actions, but a TC filter holds at most ${TC_MAX_ACTIONS} (TCA_ACT_MAX_PRIO); the compiler splits longer rules over spill chains, so this rule did not come from it`,
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
        entry: { rule, place, cookie, epoch: this.renewals },
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
    const r = await this.change(`${lines.join('\n')}\n`);
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
    const { devOf } = w;
    const lines: string[] = [];
    for (const n of plan.items) {
      if (!n.line) continue;
      if (n.old)
        lines.push(
          replaceLine(n.old.rule, n.old.place.handle, devOf, this.placement, w.shift(n.old.rule))
            .line,
        );
      else lines.push(deleteLine(n.entry.place));
    }
    if (lines.length > 0) await this.change(`${lines.join('\n')}\n`);
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
      if (entry && !installed.has(rule.id) && this.homes.get(entry.rule.port)?.gone) {
        this.ledger.delete(rule.id); // its filter went with the netdev
        continue;
      }
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
    const r = await this.change(`${lines.join('\n')}\n`);
    const failures: { rule: EswitchRule; error: string }[] = [];
    for (const [n, e] of batchErrors(r.stderr)) {
      // Already gone (deleted behind nicvisor's back): what removing it wanted.
      // (or its netdev went, e.g. a VF-LAG's bond deleted with its filters)
      if (/not found|cannot find device/i.test(e)) continue;
      const rule = whose[n - 1];
      if (rule)
        failures.push({ rule, error: `${ruleWho(rule)}: the kernel would not remove it: ${e}` });
    }
    return failures.length === 0 ? { diff, status: 'done' } : { diff, status: 'failed', failures };
  }
}

/** What a drift check found, and what it put back. */
export interface Healed {
  why: string;
  /** Rules installed again as last applied. */
  repaired: number;
  /** Rules it could not put back (a missing representor, a kernel refusal). */
  failed: string[];
}

interface News {
  text: string;
  /** The port found renewed (its rules to reinstall); none: reported whatever follows. */
  port?: EswitchPort;
}

interface Installing {
  items: { entry: Entry; line: string | null; old: Entry | null }[];
  clsact: string[];
}
