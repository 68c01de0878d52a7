import {
  NETLINK_ROUTE,
  RTM_DELLINK,
  RTM_NEWLINK,
  RTNLGRP_LINK,
  RTNLGRP_TC,
  TCMSG_IFINDEX_OFFSET,
} from './netlink/constants.js';
import type { NlMsg } from './netlink/message.js';
import { NetlinkListener } from './netlink/transport.js';

/** ifi_index in `struct ifinfomsg`, tcm_ifindex in `struct tcmsg`: the same offset. */
const IFINDEX_OFFSET = TCMSG_IFINDEX_OFFSET;

/**
 * What a notification of RTNLGRP_LINK or RTNLGRP_TC is about: the reason of the check it
 * asks for and the ifindex of the netdev it names (`struct ifinfomsg` and `struct tcmsg`
 * both carry it at byte 4), or null for anything else.
 */
export function notification(msg: NlMsg): { reason: string; ifindex?: number } | null {
  const link = msg.type === RTM_NEWLINK || msg.type === RTM_DELLINK;
  const ifindex =
    msg.payload.length >= IFINDEX_OFFSET + 4 ? msg.payload.readInt32LE(IFINDEX_OFFSET) : undefined;
  const reason = link ? 'link notification' : 'tc notification';
  if (ifindex === undefined) return link ? { reason } : null;
  return { reason, ifindex };
}

/** The reason of the fast poll of guarded VFs (a full check covers it, never the reverse). */
export const GUARD_POLL = 'guard poll';

/**
 * Calls `check` when something may have changed behind nicvisor's back: on every rtnetlink
 * link notification (debounced: one `ip link set` emits one, a PF reset emits a burst) and
 * on a slow poll, because some resets send no notification at all (netdevsim's
 * sriov_numvfs 0→N recreates the VFs silently). With `guardIntervalMs`, also a fast poll
 * (reason GUARD_POLL) for the MAC guard: a guest's own MAC change through the mailbox sends
 * no notification either. Checks never overlap.
 *
 * TC notifications (RTNLGRP_TC: a filter, chain or qdisc added, changed or deleted) name
 * the netdev they are about: `onNetdev` hears its ifindex first (null: notifications were
 * lost, anything may have changed), so a check reads only the netdevs that changed. Link
 * notifications name theirs too: a netdev moved to another netns and back (or unregistered)
 * loses its clsact and every filter without one TC notification, keeping its ifindex and
 * name, so its filters as last read are no longer to be trusted either.
 */
export class DriftWatcher {
  private listener: NetlinkListener | null = null;
  private timer: NodeJS.Timeout | null = null;
  private fast: NodeJS.Timeout | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again: string | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly check: (reason: string) => Promise<void>,
    private readonly onError: (e: Error) => void,
    private readonly onNetdev: (ifindex: number | null) => void = () => {},
    private readonly guardIntervalMs = 0,
  ) {}

  async start(): Promise<void> {
    if (this.listener) return;
    this.listener = new NetlinkListener(NETLINK_ROUTE, [RTNLGRP_LINK, RTNLGRP_TC]);
    await this.listener.start(
      (msg) => {
        const n = notification(msg);
        if (!n) return;
        if (n.ifindex !== undefined) this.onNetdev(n.ifindex);
        this.soon(n.reason);
      },
      (why) => {
        this.onNetdev(null);
        this.soon(`notifications lost (${why})`);
      },
    );
    this.timer = setInterval(() => this.trigger('poll'), this.intervalMs);
    this.timer.unref();
    if (this.guardIntervalMs > 0) {
      this.fast = setInterval(() => this.trigger(GUARD_POLL), this.guardIntervalMs);
      this.fast.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.fast) clearInterval(this.fast);
    this.fast = null;
    if (this.debounce) clearTimeout(this.debounce);
    this.timer = null;
    this.debounce = null;
    this.again = null;
    const l = this.listener;
    this.listener = null;
    await l?.stop();
    await this.running;
  }

  private soon(reason: string): void {
    if (this.debounce || !this.listener) return;
    this.debounce = setTimeout(() => {
      this.debounce = null;
      this.trigger(reason);
    }, 30);
  }

  /** Runs a check now, or once more right after the one in progress. */
  trigger(reason: string): void {
    if (!this.listener) return;
    if (this.running) {
      // A full check pending covers the guard poll; a guard poll never displaces one.
      if (reason !== GUARD_POLL || this.again === null) this.again = reason;
      return;
    }
    this.running = this.check(reason)
      .catch((e: Error) => this.onError(e))
      .finally(() => {
        this.running = null;
        const next = this.again;
        this.again = null;
        if (next) this.trigger(next);
      });
  }
}
