/**
 * The daemon: starts and stops its parts (assemble.ts) and offers the operations the API's
 * route handlers call with typed values. The constructor only assigns; start() acquires
 * everything and stop() releases it. Nothing here speaks HTTP: errors carry a kind
 * (errors.ts) that the API maps to status codes.
 */
import type { NicDriver } from '../drivers/driver.js';
import { createDriver } from '../drivers/registry.js';
import type { FleetAgentView, FleetRolloutView, FleetView } from '../model/fleet.js';
import type {
  ApplyResultView,
  AuditEntry,
  AuditPageView,
  ChangeResult,
  CredentialResult,
  DeleteResult,
  GuestDecisionView,
  GuestRequest,
  HealthView,
  LagView,
  LogLevelResult,
  MainConfig,
  MirrorBody,
  PfChangeResult,
  PfPolicy,
  PfView,
  Problem,
  ReloadResult,
  StatsView,
  ValidateBody,
  ValidateResult,
  VfHistory,
  VfPolicy,
  VfRulesView,
  VfView,
} from '../model/index.js';
import { assemble, type Running } from './assemble.js';
import { bootConfig } from './boot.js';
import { CountingDriver } from './counting-driver.js';
import { DEMO_CONFIG_LABEL, demoMainConfig } from './demo.js';
import { DaemonError, notFound } from './errors.js';
import { EventBus } from './events.js';
import { fleetMetricsText } from './fleet/metrics.js';
import { ensureDir } from './fsutil.js';
import { resolveHookUser } from './hooks.js';
import { lagViews } from './lags.js';
import { layout } from './layout.js';
import { createLogger, type Logger, type LogLevel } from './logger.js';
import type { Pools } from './pools/pools.js';
import { healthView, historyView, statsView } from './reads.js';
import type { Reconciler } from './reconciler.js';
import { vfRulesView } from './rules-view.js';
import { StateLock } from './state-lock.js';
import type { Change, ChangeOutcome, StoreState } from './store/store.js';
import { pfViews, type ViewSources, vfView, vfViews } from './views.js';

export { VERSION } from './assemble.js';

/** What the daemon's views need of a fleet agent (the agent imports the daemon, not back). */
export interface FleetAgentLike {
  view(): FleetAgentView;
  /** The whole fleet as its store says now (throws when the store is unreachable). */
  fleet(): Promise<FleetView>;
  rollout(): Promise<FleetRolloutView>;
}

export interface DaemonOptions {
  /** Main config file; null runs the embedded demo. */
  configFile: string | null;
  /** Overrides `daemon.stateDir` of the config. */
  stateDir?: string;
  /** A ready driver (tests, fault injection); default: the one the config names. */
  driver?: NicDriver;
  log?: Logger;
  /** Per-VF lock timeout. */
  lockTimeoutMs?: number;
}

export class Daemon {
  readonly opts: DaemonOptions;
  readonly bus: EventBus;
  log: Logger;
  private run: Running | null = null;
  private lock: StateLock | null = null;
  /** Fleet mode: the agent feeding this daemon (views and metrics read it). */
  fleetAgent: FleetAgentLike | null = null;

  constructor(opts: DaemonOptions) {
    this.opts = opts;
    this.log = opts.log ?? createLogger('info');
    this.bus = new EventBus((err) => this.log.error({ err }, 'event listener failed'));
  }

  private async releaseLock(): Promise<void> {
    const lock = this.lock;
    this.lock = null;
    await lock?.release();
  }

  private get r(): Running {
    if (!this.run) throw new DaemonError('unavailable', 'the daemon is not running');
    return this.run;
  }

  /** Settings as loaded (with the state-dir override). */
  get settings(): MainConfig['daemon'] {
    return this.r.main.daemon;
  }

  get isDemo(): boolean {
    return this.opts.configFile === null;
  }

  async start(): Promise<void> {
    const { configFile } = this.opts;
    const { main } = await bootConfig(configFile, this.opts.stateDir);
    const l = layout(configFile, main.daemon.stateDir);
    this.log.level = main.daemon.logLevel;
    // Before anything is acquired: an unknown hook user is a configuration error.
    const hookUser = main.daemon.hookUser ? await resolveHookUser(main.daemon.hookUser) : null;
    // Before any sweep, driver start or reconcile: one daemon per state directory.
    await ensureDir(l.stateDir);
    const lock = new StateLock(l.stateDir);
    await lock.acquire();
    this.lock = lock;
    const ownsDriver = !this.opts.driver;
    let driver: CountingDriver;
    try {
      driver = new CountingDriver(
        this.opts.driver ??
          (await createDriver(main.driver, { config: main, stateDir: l.driverDir })),
      );
      if (ownsDriver) await driver.start();
    } catch (err) {
      await this.releaseLock();
      throw err;
    }
    const mainDoc = configFile
      ? { file: configFile, data: main }
      : { file: DEMO_CONFIG_LABEL, data: demoMainConfig() };
    try {
      this.run = await assemble({
        main,
        layout: l,
        mainDoc,
        demo: this.isDemo,
        driver,
        ownsDriver,
        hookUser,
        lockTimeoutMs: this.opts.lockTimeoutMs ?? 10_000,
        bus: this.bus,
        log: this.log,
      });
      const { reconciler, stats, drift, guests, store, pools } = this.run;
      await reconciler.reconcileAll('start');
      await pools.load();
      await pools.start();
      await stats.start();
      drift.start();
      this.run.lagEvents.start();
      this.run.macGuard.start();
      driver.setGuestRequestHandler(guests.onMailbox);
      this.log.info(
        { vfs: store.state().policies.size, driverWrites: driver.writes, stateDir: l.stateDir },
        'daemon started',
      );
    } catch (err) {
      // Leave nothing running behind a failed start (the driver may own timers and sockets).
      if (this.run) await this.stop();
      else {
        if (ownsDriver) await driver.stop();
        await this.releaseLock();
      }
      throw err;
    }
  }

  async stop(): Promise<void> {
    const r = this.run;
    if (!r) return;
    this.run = null;
    r.driver.setGuestRequestHandler(null);
    await r.pools.stop();
    r.lagEvents.stop();
    r.macGuard.stop();
    await r.drift.stop();
    r.reconciler.stop();
    await r.hooks.idle();
    await r.stats.stop();
    r.metrics.stop();
    await r.store.close();
    r.audit.stop();
    if (r.ownsDriver) await r.driver.stop();
    await this.releaseLock();
    this.bus.clear();
    this.log.info('daemon stopped');
  }

  private sources(): ViewSources {
    const r = this.r;
    return {
      state: r.store.state(),
      reconciler: r.reconciler,
      status: r.status,
      observed: r.observed,
      credentials: r.store.credentials,
      pfInfo: r.pfInfo,
    };
  }

  listPfs(): PfView[] {
    return pfViews(this.sources());
  }

  listLags(): LagView[] {
    return lagViews(this.r.store.state(), this.r.observed);
  }

  listVfs(): VfView[] {
    return vfViews(this.sources());
  }

  getVf(name: string): VfView {
    const v = vfView(this.sources(), name);
    if (!v) throw notFound(name);
    return v;
  }

  stats(): StatsView {
    return statsView(this.r);
  }

  /** The eswitch rules of one VF with live counters (reads its PF from the driver). */
  async vfRules(name: string): Promise<VfRulesView> {
    const p = this.r.store.state().policies.get(name);
    if (!p) throw notFound(name);
    const [pf] = await this.r.driver.observe({ pf: p.pf, stats: true });
    return vfRulesView(p, pf);
  }

  /** Rates of one VF over the last minutes (samples after `sinceMs`), for the plots. */
  history(name: string, sinceMs?: number): VfHistory {
    return historyView(this.r, name, sinceMs);
  }

  /** Prometheus exposition text, served from the caches (never reads the driver). */
  metrics(): Promise<{ contentType: string; text: string }> {
    const m = this.r.metrics;
    const agent = this.fleetAgent;
    return m.text().then((text) => ({
      contentType: m.contentType,
      text: agent ? text + fleetMetricsText(agent.view()) : text,
    }));
  }

  /** A page of the audit log, newest first (GET /v1/audit). */
  auditPage(before: number | null, limit: number): Promise<AuditPageView> {
    return this.r.audit.page(before, limit);
  }

  /** The newest audit sequence number (0: the log is empty). */
  get auditSeq(): number {
    return this.r.audit.lastSeq;
  }

  /** Audit entries newer than `after`, oldest first: what an SSE client resuming missed. */
  auditSince(after: number, limit: number): Promise<AuditEntry[]> {
    return this.r.audit.since(after, limit);
  }

  health(): HealthView {
    return { ...healthView(this.r), ...(this.fleetAgent ? { fleet: true } : {}) };
  }

  /** The VF name a guest token belongs to (null: not a guest token). */
  guestFor(token: string): string | null {
    return this.r.store.credentials.verify(token);
  }

  putVf(policy: VfPolicy, who: string): Promise<ChangeResult> {
    return this.r.mutations
      .putVf(policy, who)
      .then((res) => ({ ...res, vf: vfView(this.sources(), policy.name) }));
  }

  /** Add or replace one PF's policy (numVfs, MTU, loopback, QoS) in the main config. */
  async putPf(policy: PfPolicy, who: string): Promise<PfChangeResult> {
    if (!this.r.pfInfo.has(policy.pf))
      throw new DaemonError(
        'notFound',
        `PF ${JSON.stringify(policy.pf)} was not found by the ${this.r.driver.name} driver: pick one of ${[...this.r.pfInfo.keys()].join(', ')} (\`nicvisor show pfs\`)`,
      );
    const { changed } = await this.r.mutations.putPf(policy, who);
    const pf = pfViews(this.sources()).find((p) => p.id === policy.pf) ?? null;
    return { changed, pf, configFile: this.opts.configFile };
  }

  /** Several policies and deletions as one change (all or nothing). */
  apply(
    body: { vfs: readonly VfPolicy[]; delete: readonly string[] },
    who: string,
  ): Promise<ApplyResultView> {
    return this.r.mutations.apply(body.vfs, body.delete, who);
  }

  deleteVf(name: string, who: string): Promise<DeleteResult> {
    return this.r.mutations.deleteVf(name, who);
  }

  setMirror(name: string, body: MirrorBody | null, who: string): Promise<ChangeResult> {
    return this.r.mutations
      .setMirror(name, body, who)
      .then((res) => ({ ...res, vf: vfView(this.sources(), name) }));
  }

  /** A guest request through the API; a rate-limited one is refused as `limited`. */
  async guestRequest(name: string, request: GuestRequest, who: string): Promise<GuestDecisionView> {
    const { limited, ...answer } = await this.r.guests.handle(name, request, { via: 'api', who });
    if (limited) throw new DaemonError('limited', answer.reason);
    return answer;
  }

  issueCredential(name: string, who: string): Promise<CredentialResult> {
    return this.r.mutations.issueCredential(name, who);
  }

  reload(who: string): Promise<ReloadResult> {
    return this.r.mutations.reload(who);
  }

  validate(body: ValidateBody): ValidateResult {
    return this.r.mutations.validate(body);
  }

  /** validate() plus what only the file system can tell (hook programs root may not run). */
  dryRun(body: ValidateBody): Promise<ValidateResult> {
    return this.r.mutations.dryRun(body);
  }

  setLogLevel(level: LogLevel, who: string): LogLevelResult {
    const previous = this.log.level as LogLevel;
    this.log.level = level;
    this.r.audit.record({
      who,
      via: 'api',
      action: 'log-level',
      target: '*',
      request: { level },
      result: 'ok',
      reason: `log level ${previous} → ${level}`,
    });
    return { level, previous };
  }

  /** VF pools and claims (issue 12). */
  get pools(): Pools {
    return this.r.pools;
  }

  /** What the store holds now (the fleet agent diffs its desired share against it). */
  storeState(): StoreState {
    return this.r.store.state();
  }

  /** Every problem a change would have; nothing written (the fleet agent's per-document check). */
  checkChange(change: Change): Problem[] {
    return this.r.store.validateChange(change);
  }

  /** The fleet agent's commit (see Mutations.applyFleet). */
  applyFleet(change: Change, who: string, request: unknown): Promise<ChangeOutcome> {
    return this.r.mutations.applyFleet(change, who, request);
  }

  /** For tests and the bench: the driver as the daemon sees it. */
  get driver(): CountingDriver {
    return this.r.driver;
  }

  get reconciler(): Reconciler {
    return this.r.reconciler;
  }

  /** For tests: one drift check now (as the loop or a driver event would run it). */
  checkDrift(reason: string): Promise<void> {
    return this.r.drift.check(reason);
  }

  /** For tests: read the NIC now (as the stats loop does), so views show it as it is. */
  refreshStats(): Promise<void> {
    return this.r.stats.refresh();
  }
}
