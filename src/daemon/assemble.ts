/**
 * Building the daemon's parts from a loaded main config: store, reconciler, guest requests,
 * stats, audit, metrics, hooks. Only the store touches disk here (open: sweep, load,
 * validate); nothing runs until the daemon starts the parts.
 */
import { join } from 'node:path';
import type { PfInfo } from '../drivers/driver.js';
import type { AuditEntry, MainConfig, Sourced } from '../model/index.js';
import { AuditLog } from './audit.js';
import type { CountingDriver } from './counting-driver.js';
import { DriftLoop } from './drift.js';
import type { EventBus } from './events.js';
import { GuestRequests } from './guest.js';
import { Hooks, type HookUser } from './hooks.js';
import { LagEvents } from './lags.js';
import type { Layout } from './layout.js';
import type { Logger } from './logger.js';
import { MacGuardEvents } from './mac-guard.js';
import { DaemonMetrics } from './metrics.js';
import { Mutations } from './mutations.js';
import { KeyedLock } from './mutex.js';
import { Observations } from './observations.js';
import { Pools } from './pools/pools.js';
import { vmProbe } from './pools/vm-probe.js';
import { RateLimiter } from './ratelimit.js';
import { Reconciler } from './reconciler.js';
import { seedDemo } from './seed.js';
import { StatsRefresh } from './stats.js';
import { Store } from './store/store.js';
import { StatusBoard } from './vf-status.js';

export const VERSION = '0.1.0';

/** Everything that exists only between start() and stop(). */
export interface Running {
  main: MainConfig;
  driver: CountingDriver;
  ownsDriver: boolean;
  store: Store;
  reconciler: Reconciler;
  guests: GuestRequests;
  observed: Observations;
  stats: StatsRefresh;
  drift: DriftLoop;
  lagEvents: LagEvents;
  macGuard: MacGuardEvents;
  audit: AuditLog;
  status: StatusBoard;
  mutations: Mutations;
  metrics: DaemonMetrics;
  hooks: Hooks;
  pools: Pools;
  pfInfo: Map<string, PfInfo>;
  startedAt: number;
}

/** Log a failed audit write, once per kind of failure and then every 1000th. */
function auditFailed(log: Logger): (err: Error, entry: AuditEntry) => void {
  let failures = 0;
  return (err, entry) => {
    if (failures++ % 1000 === 0)
      log.error(
        { err, seq: entry.seq, failures },
        'writing the audit log failed; decisions go on (free space or fix daemon.auditLog.path)',
      );
  };
}

export interface Parts {
  main: MainConfig;
  layout: Layout;
  /** The main config when there is no file to read it from (the embedded demo). */
  mainDoc: Sourced;
  demo: boolean;
  driver: CountingDriver;
  ownsDriver: boolean;
  hookUser: HookUser | null;
  lockTimeoutMs: number;
  bus: EventBus;
  log: Logger;
}

export async function assemble(p: Parts): Promise<Running> {
  const { main, layout: l, driver, bus, log } = p;
  const pfInfo = new Map((await driver.discover()).map((x) => [x.id, x]));
  const caps = new Map([...pfInfo].map(([id, x]) => [id, x.capabilities]));
  const store = new Store(l, log, () => caps);
  if (p.demo) await seedDemo(l, log);
  await store.open(p.mainDoc);
  const d = main.daemon;
  const audit = new AuditLog(
    {
      path: d.auditLog.path ?? join(l.stateDir, 'audit.log'),
      maxBytes: d.auditLog.maxBytes,
      keep: d.auditLog.keep,
    },
    bus,
    auditFailed(log),
  );
  audit.start();
  const locks = new KeyedLock(p.lockTimeoutMs);
  const status = new StatusBoard(bus);
  const metrics = new DaemonMetrics();
  store.journal.observer = metrics.journal;
  const observed = new Observations(d.statsIntervalMs);
  const reconciler = new Reconciler(
    { driver, store, locks, status, observed, log },
    { onReconciled: (s) => metrics.observeReconcile(s) },
  );
  const drift = new DriftLoop({ driver, reconciler, status, audit, log }, d.driftIntervalMs);
  const limiter = new RateLimiter(d.guestRequestsPerSecond, d.guestRequestBurst);
  const guests = new GuestRequests({
    store,
    reconciler,
    locks,
    limiter,
    audit,
    log,
    onAnswered: (s, outcome) => metrics.observeGuestAnswer(s, outcome),
  });
  const stats = new StatsRefresh(driver, observed, d.statsIntervalMs, bus, log);
  const lagEvents = new LagEvents(driver, audit, bus, () => stats.refresh());
  const macGuard = new MacGuardEvents(driver, store, audit, log, (name) =>
    reconciler.reconcileVfs([name], 'MAC guard revert failed'),
  );
  const hooks = new Hooks(log.child({ component: 'hooks' }), d.hookTimeoutMs, p.hookUser);
  const mutations = new Mutations({
    hooks,
    store,
    reconciler,
    guests,
    audit,
    bus,
    log,
    configFile: l.configFile,
  });
  const pools = new Pools({
    stateDir: l.stateDir,
    store,
    mutations,
    driver,
    status,
    audit,
    bus,
    log,
    registry: metrics.registry,
    sweepIntervalMs: d.poolSweepIntervalMs,
    leakGraceMs: d.poolLeakGraceMs,
    vmProbe: vmProbe(d.poolVmProbe, {
      runDir: d.poolLibvirtRunDir,
      proc: '/proc',
      uri: d.poolLibvirtUri,
    }),
    vmStartGraceMs: d.poolVmStartGraceMs,
  });
  metrics.start(
    {
      state: () => store.state(),
      refused: () => store.refused(),
      observed,
      status,
      pfInfo,
      driver: driver.name,
      version: VERSION,
    },
    bus,
  );
  return {
    main,
    driver,
    ownsDriver: p.ownsDriver,
    store,
    reconciler,
    guests,
    observed,
    stats,
    drift,
    lagEvents,
    macGuard,
    audit,
    status,
    mutations,
    metrics,
    hooks,
    pools,
    pfInfo,
    startedAt: Date.now(),
  };
}
