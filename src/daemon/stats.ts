/**
 * The stats refresh: counters of every PF and VF read on a schedule (statsIntervalMs) into
 * the daemon's observations, so /v1/stats and /metrics never call the driver per request
 * (scraping 2048 VFs must not stall the daemon). A read is never stacked on a slow one.
 */
import type { NicDriver } from '../drivers/driver.js';
import type { EventBus } from './events.js';
import type { Logger } from './logger.js';
import type { Observations } from './observations.js';

export class StatsRefresh {
  private readonly driver: NicDriver;
  private readonly observed: Observations;
  readonly intervalMs: number;
  private readonly bus: EventBus;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** Failed reads in a row (reported in the log once per streak). */
  private failures = 0;

  constructor(
    driver: NicDriver,
    observed: Observations,
    intervalMs: number,
    bus: EventBus,
    log: Logger,
  ) {
    this.driver = driver;
    this.observed = observed;
    this.intervalMs = intervalMs;
    this.bus = bus;
    this.log = log;
  }

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Read every counter now (one at a time: a slow read is never stacked up). */
  refresh(): Promise<void> {
    this.running ??= this.read().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async read(): Promise<void> {
    let observed: Awaited<ReturnType<NicDriver['observe']>>;
    const ticket = this.observed.begin();
    try {
      observed = await this.driver.observe({ stats: true });
    } catch (err) {
      if (this.failures++ === 0)
        this.log.warn({ err }, 'reading counters failed; serving the last values');
      return;
    }
    if (this.failures > 0)
      this.log.info({ failures: this.failures }, 'reading counters works again');
    this.failures = 0;
    this.observed.record(observed, true, ticket);
    this.bus.emit({ type: 'stats', at: this.observed.countersAt! });
  }
}
