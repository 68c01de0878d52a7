/**
 * LAGs on the linux driver: a kernel bond over the member PFs' netdevs, built and read
 * through rtnetlink (no `ip` spawns). The bond is named after the LAG. A hardware VF-LAG
 * (`vfLag`, members in switchdev) also makes the bond the members' eswitch uplink: the
 * driver's eswitch side asks `vfLagOf()` and puts the uplink rules on the bond (see
 * eswitch/linux-eswitch.ts).
 *
 * The kernel counts link failures per member but not failovers, and keeps no frame times:
 * failovers are counted here (trackFailover), from the active member changing away from a
 * member whose link went down (every read, and every link notification, is one); the
 * failover time and frames lost are not known (null).
 */
import type { LagConfig, LagStatus, ObservedLag } from '../../model/index.js';
import type { DriverEvent } from '../driver.js';
import type { LinkInfo } from './netlink/link-decode.js';
import { NetlinkError, type NlAck } from './netlink/message.js';
import type { PfEntry, PfRegistry } from './pf-registry.js';
import type { Rtnl } from './rtnl.js';

/** What a bond's failover count is made from, across reads. */
export interface FailoverTrack {
  /** ifindex of the last member seen active (0: none seen yet). */
  active: number;
  /** That member was seen down (its link, or no active member shown) since it became active. */
  wentDown: boolean;
  failovers: number;
}

/**
 * One read of a bond into its failover count: a failover is the active member changing away
 * from one that went down. The kernel shows no active member (IFLA_BOND_ACTIVE_SLAVE absent)
 * while the active one is not up and miimon has not yet picked another (up to one miimon
 * interval after `ip link set DEV down`; a link notification read falls right into it), so
 * such a read keeps the member it had and marks it down rather than forgetting it: A → none
 * → B is one failover.
 */
export function trackFailover(
  t: FailoverTrack,
  active: number,
  linkUp: (ifindex: number) => boolean,
): void {
  if (active === 0) {
    if (t.active !== 0) t.wentDown = true;
    return;
  }
  if (active === t.active) {
    if (!linkUp(active)) t.wentDown = true;
    return;
  }
  if (t.active !== 0 && (t.wentDown || !linkUp(t.active))) t.failovers++;
  t.active = active;
  t.wentDown = !linkUp(active);
}

function check(ack: NlAck, what: string): void {
  if (ack.errno !== 0) throw new NetlinkError(what, ack);
}

/** Per member: link as the bond sees it, and whether it carries traffic. */
type Seen = Map<string, { linkUp: boolean; active: boolean }>;

export class LinuxLags {
  /** The configuration last applied per bond: the kernel does not keep the member order. */
  private readonly applied = new Map<string, LagConfig>();
  private readonly tracked = new Map<string, FailoverTrack>();
  /** What each LAG's members looked like at the last read, to report changes once. */
  private readonly seen = new Map<string, Seen>();
  /**
   * Members of hardware VF-LAGs → their bond: kept from the apply that built the LAG until
   * one that removes it (a bond lost to a PF reset is rebuilt, and stays the uplink), or
   * learnt from a read after a restart.
   */
  private readonly vfLags = new Map<string, { bond: string; member: number }>();
  /** The read in progress (observe runs one at a time). */
  private reading: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly rtnl: Rtnl,
    private readonly pfs: PfRegistry,
    private readonly emit: (e: DriverEvent) => void,
  ) {}

  /**
   * Report what changed since the last read: a member's link down or up (with where the
   * traffic went), a LAG nicvisor built that is gone (a PF reset re-creates the netdev
   * outside the bond; the drift loop builds it again).
   */
  private report(found: ReadonlyMap<string, ObservedLag>, complete: boolean): void {
    const now = new Map<string, ObservedLag>();
    for (const lag of found.values()) now.set(lag.config.name, lag);
    for (const [name, lag] of now) {
      const before = this.seen.get(name);
      const after: Seen = new Map(
        lag.status.members.map((m) => [m.pf, { linkUp: m.linkUp, active: m.active }]),
      );
      this.seen.set(name, after);
      if (!before) continue;
      for (const m of lag.status.members) {
        const b = before.get(m.pf);
        if (!b || b.linkUp === m.linkUp) continue;
        const carrier = lag.status.members.filter((x) => x.active).map((x) => x.pf);
        const where =
          carrier.length > 0 ? `: traffic on ${carrier.join(', ')}` : ': no member carries traffic';
        const reason = `member ${m.pf} link ${m.linkUp ? 'up' : 'down'}${where}`;
        this.emit({ type: 'lag', pf: m.pf, lag: name, reason });
      }
    }
    if (!complete) return;
    for (const [name, config] of this.applied) {
      if (now.has(name)) continue;
      this.seen.delete(name);
      this.applied.delete(name);
      this.emit({
        type: 'lag',
        pf: config.members[0],
        lag: name,
        reason: 'the bond lost its members (a PF reset or driver reload); it will be rebuilt',
      });
    }
  }

  /** The bond that is this PF's eswitch uplink (a hardware VF-LAG member), or null. */
  vfLagOf(pf: string): { bond: string; member: number } | null {
    return this.vfLags.get(pf) ?? null;
  }

  private rememberVfLag(config: LagConfig | null, name: string): void {
    for (const [pf, l] of this.vfLags) if (l.bond === name) this.vfLags.delete(pf);
    if (!config?.vfLag) return;
    for (const [member, pf] of config.members.entries()) {
      this.vfLags.set(pf, { bond: name, member });
    }
  }

  private member(id: string, lag: string): PfEntry {
    const e = this.pfs.get(id);
    if (!e) throw new Error(`LAG ${lag}: member ${id} is not a PF the linux driver found`);
    return e;
  }

  /** Remove the LAG's bond; its members are released by the kernel. */
  private async remove(name: string): Promise<void> {
    const bond = await this.rtnl.getLinkByName(name);
    this.applied.delete(name);
    this.tracked.delete(name);
    if (!bond) return;
    if (bond.linkInfo?.kind !== 'bond') {
      throw new Error(
        `LAG ${name}: ${name} is a ${bond.linkInfo?.kind ?? 'plain'} link, not a bond; rename the LAG or remove that link`,
      );
    }
    check(await this.rtnl.deleteLink(bond.index), `LAG ${name}: \`ip link del ${name}\``);
  }

  /**
   * Build the LAG as configured (a change rebuilds it: the kernel refuses a new mode while
   * the bond has members). Each member is taken down to be enslaved, as older kernels require
   * and `ip link set DEV master` does not do itself, then everything is brought up.
   */
  async apply(name: string, to: LagConfig | null): Promise<void> {
    await this.remove(name);
    this.rememberVfLag(to, name);
    if (to === null) return;
    const members = to.members.map((id) => this.member(id, name));
    const what = (cmd: string) => `LAG ${name}: \`${cmd}\``;
    check(
      await this.rtnl.createBond(name, to),
      what(`ip link add ${name} type bond mode ${to.mode} miimon ${to.miimon}`),
    );
    const bond = await this.rtnl.getLinkByName(name);
    if (!bond) throw new Error(`LAG ${name}: the bond was created but cannot be read back`);
    for (const m of members) {
      const dev = m.sys.netdev;
      check(await this.rtnl.setUp(m.sys.ifindex, false), what(`ip link set ${dev} down`));
      check(
        await this.rtnl.setMaster(m.sys.ifindex, bond.index),
        what(`ip link set ${dev} master ${name}`),
      );
    }
    if (to.primary !== null) {
      const p = this.member(to.primary, name);
      check(
        await this.rtnl.setPrimary(bond.index, p.sys.ifindex),
        what(`ip link set ${name} type bond primary ${p.sys.netdev}`),
      );
    }
    for (const m of members) {
      check(await this.rtnl.setUp(m.sys.ifindex, true), what(`ip link set ${m.sys.netdev} up`));
    }
    check(await this.rtnl.setUp(bond.index, true), what(`ip link set ${name} up`));
    this.applied.set(name, to);
  }

  /**
   * The LAG each PF is a member of, from the PFs' links (read with the PF) and their bonds'
   * links: mode, hash, miimon, primary from IFLA_BOND_*, each member's state from its own
   * IFLA_BOND_SLAVE_*, its frames from its counters.
   */
  async observe(
    entries: PfEntry[],
    links: ReadonlyMap<string, LinkInfo>,
  ): Promise<Map<string, ObservedLag>> {
    // One read at a time, in order: the failover count follows the active member from read to
    // read, and a slower read finishing after a newer one would move it back.
    const run = this.reading.then(() => this.observeNow(entries, links));
    this.reading = run.catch(() => {});
    return run;
  }

  private async observeNow(
    entries: PfEntry[],
    links: ReadonlyMap<string, LinkInfo>,
  ): Promise<Map<string, ObservedLag>> {
    const masters = new Set<number>();
    for (const e of entries) {
      const l = links.get(e.sys.id);
      if (l?.master && l.linkInfo?.slaveKind === 'bond') masters.add(l.master);
    }
    const out = new Map<string, ObservedLag>();
    const bonds = masters.size === 0 ? [] : await this.rtnl.getLinks([...masters], false);
    for (const bond of bonds) {
      if (bond instanceof NetlinkError || !bond.linkInfo?.bond) continue;
      const members = entries.filter((e) => links.get(e.sys.id)?.master === bond.index);
      const view = await this.freshAfterMove(bond, members, links);
      const lag = this.lagOf(bond, members, view);
      if (lag) for (const m of members) out.set(m.sys.id, lag);
    }
    this.report(out, entries.length === this.pfs.all().length);
    return out;
  }

  /**
   * The members' links were read before their bond: when the bond shows another active
   * member than last time and the one before still looks up, that look may predate the
   * miimon round that failed it over (the kernel marks it down and picks the next one in the
   * same step). Read it again, after the bond, so a failover is not taken for a switch by
   * hand; seen under load in the lab, where the two reads were far apart.
   */
  private async freshAfterMove(
    bond: LinkInfo,
    members: PfEntry[],
    links: ReadonlyMap<string, LinkInfo>,
  ): Promise<ReadonlyMap<string, LinkInfo>> {
    const before = this.tracked.get(bond.name)?.active ?? 0;
    const active = bond.linkInfo?.bond?.activeSlave ?? 0;
    if (before === 0 || active === 0 || active === before) return links;
    const m = members.find((e) => e.sys.ifindex === before);
    const l = m && links.get(m.sys.id);
    if (!m || !l?.linkInfo?.bondSlave?.miiUp) return links;
    const [fresh] = await this.rtnl.getLinks([before], l.stats !== undefined);
    if (!fresh || fresh instanceof NetlinkError) return links;
    return new Map(links).set(m.sys.id, fresh);
  }

  private lagOf(
    bond: LinkInfo,
    members: PfEntry[],
    links: ReadonlyMap<string, LinkInfo>,
  ): ObservedLag | null {
    const b = bond.linkInfo?.bond;
    if (!b?.mode || members.length !== 2) return null;
    const byIndex = new Map(members.map((m) => [m.sys.ifindex, m.sys.id]));
    const ids = members.map((m) => m.sys.id);
    const known = this.applied.get(bond.name);
    const order = known?.members.every((id) => ids.includes(id)) ? known.members : [ids[0], ids[1]];
    // The kernel has no word for VF-LAG: after a restart, a bond of two switchdev PFs that
    // can back VFs by both ports is taken for one (what nicvisor builds on such PFs).
    const vfLag =
      known?.vfLag ?? members.every((m) => m.eswitch === 'switchdev' && m.caps.lag?.vfLag === true);
    const config: LagConfig = {
      name: bond.name,
      members: [order[0], order[1]],
      mode: b.mode,
      xmitHashPolicy: b.xmitHashPolicy ?? 'layer2',
      miimon: b.miimon,
      lacpRate: b.lacpRate,
      primary: byIndex.get(b.primary) ?? null,
      vfLag,
    };
    if (!known && vfLag && !order.some((id) => this.vfLags.has(id)))
      this.rememberVfLag(config, bond.name);
    const status: LagStatus = {
      name: bond.name,
      mode: b.mode,
      members: order.map((id) => {
        const l = links.get(id);
        const s = l?.linkInfo?.bondSlave;
        return {
          pf: id,
          linkUp: s?.miiUp ?? false,
          active: (s?.active ?? false) && (s?.miiUp ?? false),
          linkFailures: s?.linkFailures ?? 0,
          txPackets: l?.stats?.txPackets ?? 0,
          rxPackets: l?.stats?.rxPackets ?? 0,
        };
      }),
      failovers: this.countFailovers(bond, members, links),
      lastFailoverMs: null,
      lostFrames: null,
    };
    return { config, status };
  }

  private countFailovers(
    bond: LinkInfo,
    members: PfEntry[],
    links: ReadonlyMap<string, LinkInfo>,
  ): number {
    const t = this.tracked.get(bond.name) ?? { active: 0, wentDown: false, failovers: 0 };
    trackFailover(t, bond.linkInfo?.bond?.activeSlave ?? 0, (ifindex) => {
      const m = members.find((e) => e.sys.ifindex === ifindex);
      // A member no longer in the bond is taken for down.
      return m ? links.get(m.sys.id)?.linkInfo?.bondSlave?.miiUp === true : false;
    });
    this.tracked.set(bond.name, t);
    return t.failovers;
  }
}
