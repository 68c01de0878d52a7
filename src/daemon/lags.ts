/**
 * LAGs in the daemon: their views (configuration beside what the driver last read back) and
 * their events — every driver report about a LAG (a member's link down or up, a failover
 * done, a LAG dissolved by a PF reset) goes to the audit log and the SSE stream. Putting the
 * LAG back after a reset is the drift loop's job: the same driver event makes it plan again.
 */
import type { DriverEvent, NicDriver } from '../drivers/driver.js';
import { type LagView, lagConfig, sameLagConfig } from '../model/index.js';
import type { AuditLog } from './audit.js';
import type { EventBus } from './events.js';
import type { Observations } from './observations.js';
import type { StoreState } from './store/store.js';

export function lagViews(state: StoreState, observed: Observations): LagView[] {
  return state.main.lags.map((policy): LagView => {
    const want = lagConfig(policy);
    const o = observed.pf(policy.members[0])?.lag;
    const mine = o && o.config.name === policy.name ? o : undefined;
    return {
      name: policy.name,
      policy,
      observed: mine?.status ?? null,
      inSync: mine !== undefined && sameLagConfig(want, mine.config),
    };
  });
}

export class LagEvents {
  private unsubscribe: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly driver: Pick<NicDriver, 'onEvent'>,
    private readonly audit: AuditLog,
    private readonly bus: EventBus,
    /** Read the NIC again, so views and metrics show the LAG as it is now. */
    private readonly refresh: () => Promise<void>,
  ) {}

  start(): void {
    this.unsubscribe ??= this.driver.onEvent((e) => this.onEvent(e));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * One read shortly after a burst of events (a failover reports the link down, then the
   * first frame on the other member): a read started at the first event would miss the
   * second, and the stats loop joins a read in flight rather than start another.
   */
  private refreshSoon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.refresh().catch(() => {
        // The stats loop logs its own failures and reads again at its next interval.
      });
    }, 5);
    this.timer.unref();
  }

  private onEvent(e: DriverEvent): void {
    if (e.type !== 'lag') return;
    this.bus.emit({ type: 'lag', lag: e.lag, pf: e.pf, reason: e.reason });
    this.refreshSoon();
    this.audit.record({
      who: 'daemon',
      via: 'daemon',
      action: 'lag.event',
      target: e.lag,
      request: { pf: e.pf },
      result: 'ok',
      reason: `LAG ${e.lag}: ${e.reason}`,
    });
  }
}
