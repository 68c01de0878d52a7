/**
 * The daemon: wires store, driver, reconciler, guest requests, stats and audit together and
 * offers the operations the API's route handlers call (they stay thin over this object).
 * The constructor only assigns; start() acquires everything and stop() releases it.
 */
import { join } from 'node:path';
import type {
  ApplyBody,
  ApplyResultView,
  ChangeResult,
  CredentialResult,
  DeleteResult,
  GuestDecisionView,
  HealthView,
  LogLevelResult,
  MirrorBody,
  PfView,
  ReloadResult,
  StatsView,
  ValidateBody,
  ValidateResult,
  VfHistory,
  VfView,
} from '../api/types.js';
import type { NicDriver, PfInfo } from '../drivers/driver.js';
import { createDriver } from '../drivers/registry.js';
import {
  type GuestRequest,
  type MainConfig,
  MainConfig as MainSchema,
  ValidationError,
  type VfRulesView,
} from '../model/index.js';
import type { Sourced } from '../policy/validate.js';
import { AuditLog } from './audit.js';
import { CountingDriver } from './counting-driver.js';
import { DEMO_CONFIG_LABEL, demoMainConfig } from './demo.js';
import { readMainFile } from './documents.js';
import { DaemonError, notFound } from './errors.js';
import { EventBus } from './events.js';
import { GuestRequests } from './guest.js';
import { Hooks, type HookUser, resolveHookUser } from './hooks.js';
import { type Layout, layout } from './layout.js';
import { createLogger, type Logger, type LogLevel } from './logger.js';
import { DaemonMetrics } from './metrics.js';
import { Mutations } from './mutations.js';
import { KeyedLock } from './mutex.js';
import { RateLimiter } from './ratelimit.js';
import { Reconciler } from './reconciler.js';
import { vfRulesView } from './rules-view.js';
import { seedDemo } from './seed.js';
import { StatsCache } from './stats.js';
import { Store } from './store.js';
import { StatusBoard } from './vf-status.js';
import { pfViews, type ViewSources, vfView, vfViews } from './views.js';

export const VERSION = '0.1.0';

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

/** Everything that exists only between start() and stop(). */
interface Running {
  main: MainConfig;
  driver: CountingDriver;
  ownsDriver: boolean;
  store: Store;
  reconciler: Reconciler;
  guests: GuestRequests;
  stats: StatsCache;
  audit: AuditLog;
  status: StatusBoard;
  locks: KeyedLock;
  mutations: Mutations;
  metrics: DaemonMetrics;
  hooks: Hooks;
  pfInfo: Map<string, PfInfo>;
}

export class Daemon {
  readonly opts: DaemonOptions;
  readonly bus: EventBus;
  log: Logger;
  private run: Running | null = null;
  private startedAt = 0;

  constructor(opts: DaemonOptions) {
    this.opts = opts;
    this.log = opts.log ?? createLogger('info');
    this.bus = new EventBus((err) => this.log.error({ err }, 'event listener failed'));
  }

  private get r(): Running {
    if (!this.run) throw new DaemonError(503, 'the daemon is not running');
    return this.run;
  }

  /** Settings as loaded (with the state-dir override). */
  get settings(): MainConfig['daemon'] {
    return this.r.main.daemon;
  }

  get isDemo(): boolean {
    return this.opts.configFile === null;
  }

  private async mainDoc(): Promise<Sourced> {
    if (!this.opts.configFile) return { file: DEMO_CONFIG_LABEL, data: demoMainConfig() };
    const m = await readMainFile(this.opts.configFile);
    if ('problem' in m) throw new ValidationError([m.problem]);
    return { file: this.opts.configFile, data: m.data };
  }

  /** The main config, parsed (a bad one is refused with every problem). */
  private async loadMain(): Promise<{ doc: Sourced; main: MainConfig }> {
    const doc = await this.mainDoc();
    const parsed = MainSchema.safeParse(doc.data);
    if (!parsed.success) {
      const { validate } = await import('../policy/validate.js');
      throw new ValidationError(validate(doc, [], new Map()).problems);
    }
    const main = parsed.data;
    if (this.opts.stateDir) main.daemon.stateDir = this.opts.stateDir;
    return { doc, main };
  }

  async start(): Promise<void> {
    this.startedAt = Date.now();
    const { doc, main } = await this.loadMain();
    const l = layout(this.opts.configFile, main.daemon.stateDir);
    this.log.level = main.daemon.logLevel;
    // Before anything is acquired: an unknown hook user is a configuration error.
    const hookUser = main.daemon.hookUser ? await resolveHookUser(main.daemon.hookUser) : null;
    const inner =
      this.opts.driver ??
      (await createDriver(main.driver, { config: main, stateDir: l.driverDir }));
    const driver = new CountingDriver(inner);
    if (!this.opts.driver) await driver.start();
    try {
      this.run = await this.assemble(main, l, doc, driver, hookUser);
      const { reconciler, stats, guests, store } = this.run;
      await reconciler.reconcileAll('start');
      await stats.start();
      reconciler.start();
      driver.setGuestRequestHandler(guests.onMailbox);
      this.log.info(
        { vfs: store.state().policies.size, driverWrites: driver.writes, stateDir: l.stateDir },
        'daemon started',
      );
    } catch (err) {
      // Leave nothing running behind a failed start (the driver may own timers and sockets).
      if (this.run) await this.stop();
      else if (!this.opts.driver) await driver.stop();
      throw err;
    }
  }

  /** Build the parts; only the store touches disk (open: sweep, load, validate). */
  private async assemble(
    main: MainConfig,
    l: Layout,
    doc: Sourced,
    driver: CountingDriver,
    hookUser: HookUser | null,
  ): Promise<Running> {
    const pfInfo = new Map((await driver.discover()).map((p) => [p.id, p]));
    const caps = new Map([...pfInfo].map(([id, p]) => [id, p.capabilities]));
    const store = new Store(l, this.log, () => caps);
    if (this.isDemo) await seedDemo(l, this.log);
    await store.open(doc);
    const d = main.daemon;
    const audit = new AuditLog(
      {
        path: d.auditLog.path ?? join(l.stateDir, 'audit.log'),
        maxBytes: d.auditLog.maxBytes,
        keep: d.auditLog.keep,
      },
      this.bus,
    );
    audit.start();
    const locks = new KeyedLock(this.opts.lockTimeoutMs ?? 10_000);
    const status = new StatusBoard(this.bus);
    const metrics = new DaemonMetrics();
    const reconciler = new Reconciler(driver, store, locks, status, this.log, {
      driftIntervalMs: d.driftIntervalMs,
      onReconciled: (s) => metrics.observeReconcile(s),
    });
    const limiter = new RateLimiter(d.guestRequestsPerSecond, d.guestRequestBurst);
    const guests = new GuestRequests({
      store,
      driver,
      reconciler,
      locks,
      limiter,
      audit,
      log: this.log,
    });
    const stats = new StatsCache(driver, d.statsIntervalMs, this.bus, this.log);
    const hooks = new Hooks(this.log.child({ component: 'hooks' }), d.hookTimeoutMs, hookUser);
    const mutations = new Mutations({
      hooks,
      store,
      driver,
      reconciler,
      guests,
      locks,
      audit,
      bus: this.bus,
      log: this.log,
    });
    const ownsDriver = !this.opts.driver;
    metrics.start(
      {
        state: () => store.state(),
        stats,
        status,
        reconciler,
        pfInfo,
        driver: driver.name,
        version: VERSION,
      },
      this.bus,
    );
    return {
      main,
      driver,
      ownsDriver,
      store,
      reconciler,
      guests,
      stats,
      audit,
      status,
      locks,
      mutations,
      metrics,
      hooks,
      pfInfo,
    };
  }

  async stop(): Promise<void> {
    const r = this.run;
    if (!r) return;
    this.run = null;
    r.driver.setGuestRequestHandler(null);
    await r.reconciler.stop();
    await r.hooks.idle();
    await r.stats.stop();
    r.metrics.stop();
    await r.store.close();
    r.audit.stop();
    if (r.ownsDriver) await r.driver.stop();
    this.bus.clear();
    this.log.info('daemon stopped');
  }

  private sources(): ViewSources {
    const r = this.r;
    return {
      state: r.store.state(),
      reconciler: r.reconciler,
      status: r.status,
      stats: r.stats,
      credentials: r.store.credentials,
      pfInfo: r.pfInfo,
    };
  }

  listPfs(): PfView[] {
    return pfViews(this.sources());
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
    const r = this.r;
    const state = r.store.state();
    return {
      at: r.stats.at,
      intervalMs: r.stats.interval,
      pfs: r.stats.pfIds().map((id) => ({ id, counters: r.stats.pf(id)! })),
      vfs: [...state.policies.values()].flatMap((p) => {
        const counters = r.stats.vf(p.pf, p.vf);
        return counters ? [{ name: p.name, pf: p.pf, vf: p.vf, counters }] : [];
      }),
      daemon: {
        driverApplySteps: r.driver.writes,
        reconciles: r.reconciler.reconciles,
        repairs: r.status.totalRepairs(),
        guestDecisions: { ...r.guests.counts },
        rssBytes: process.memoryUsage.rss(),
        uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      },
    };
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
    const r = this.r;
    const p = r.store.state().policies.get(name);
    if (!p) throw notFound(name);
    const w = r.stats.history(p.pf, p.vf, sinceMs);
    return {
      name,
      intervalMs: r.stats.interval,
      windowSeconds: r.stats.historySeconds,
      t: w.t,
      ...w.series,
    };
  }

  /** Prometheus exposition text, served from the caches (never reads the driver). */
  metrics(): Promise<{ contentType: string; text: string }> {
    const m = this.r.metrics;
    return m.text().then((text) => ({ contentType: m.contentType, text }));
  }

  health(): HealthView {
    const r = this.r;
    const all = r.status.all();
    const failed = all.filter((s) => s.syncState === 'failed').length;
    return {
      status: failed > 0 ? 'degraded' : 'ok',
      version: VERSION,
      driver: r.driver.name,
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      vfs: r.store.state().policies.size,
      inSync: all.filter((s) => s.syncState === 'in-sync').length,
      failed,
      driverApplySteps: r.driver.writes,
    };
  }

  /** The VF name a guest token belongs to (null: not a guest token). */
  guestFor(token: string): string | null {
    return this.r.store.credentials.verify(token);
  }

  putVf(name: string, body: unknown, who: string): Promise<ChangeResult> {
    return this.r.mutations
      .putVf(name, body, who)
      .then((res) => ({ ...res, vf: vfView(this.sources(), name) }));
  }

  apply(body: ApplyBody, who: string): Promise<ApplyResultView> {
    return this.r.mutations.apply(body, who);
  }

  deleteVf(name: string, who: string): Promise<DeleteResult> {
    return this.r.mutations.deleteVf(name, who);
  }

  setMirror(name: string, body: MirrorBody | null, who: string): Promise<ChangeResult> {
    return this.r.mutations
      .setMirror(name, body, who)
      .then((res) => ({ ...res, vf: vfView(this.sources(), name) }));
  }

  guestRequest(name: string, request: GuestRequest, who: string): Promise<GuestDecisionView> {
    return this.r.guests.handle(name, request, { via: 'api', who });
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

  /** For tests and the bench: the driver as the daemon sees it. */
  get driver(): CountingDriver {
    return this.r.driver;
  }

  get reconciler(): Reconciler {
    return this.r.reconciler;
  }
}
