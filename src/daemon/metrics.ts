/**
 * Prometheus metrics, in the daemon's own prom-client Registry (never the global one, so two
 * daemons in one process — the tests — do not share series).
 *
 * Per-VF counters carry the names, type and labels of sriov-network-metrics-exporter
 * (`sriov_vf_rx_bytes{pf,vf,pciAddr}`, counters) so existing dashboards work, plus nicvisor's
 * VF `name`. They are copied from the daemon's observations at scrape time: a scrape never reads
 * the driver, however many VFs there are (metrics-text.ts says why they bypass prom-client's
 * metric objects). Guest decisions and drift repairs are counted from the
 * event bus; the reconciler reports its durations through observeReconcile().
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PfInfo } from '../drivers/driver.js';
import {
  type GuestRequest,
  type LagStatus,
  type ObservedLag,
  type Refusal,
  SyncState,
  type VfCounters,
} from '../model/index.js';
import type { EventBus } from './events.js';
import {
  type CounterFamily,
  counterFamilies,
  labelPrefix,
  stateFamily,
  type VfSample,
} from './metrics-text.js';
import type { Observations } from './observations.js';
import type { StoreState } from './store/store.js';
import type { StatusBoard } from './vf-status.js';

export interface MetricSources {
  state: () => StoreState;
  /** Configuration files refused (the daemon runs its last committed configuration). */
  refused: () => Refusal | null;
  observed: Observations;
  status: StatusBoard;
  pfInfo: ReadonlyMap<string, PfInfo>;
  driver: string;
  version: string;
}

/** Exporter-compatible per-VF counters: metric name → field of VfCounters. */
export const SRIOV_VF_COUNTERS: Record<string, keyof VfCounters> = {
  sriov_vf_rx_bytes: 'rxBytes',
  sriov_vf_tx_bytes: 'txBytes',
  sriov_vf_rx_packets: 'rxPackets',
  sriov_vf_tx_packets: 'txPackets',
  sriov_vf_rx_dropped: 'rxDropped',
  sriov_vf_tx_dropped: 'txDropped',
  sriov_vf_tx_errors: 'txErrors',
  nicvisor_vf_spoofed_total: 'spoofed',
};
const VF_FAMILIES: CounterFamily[] = Object.entries(SRIOV_VF_COUNTERS).map(([name, field]) => ({
  name,
  field,
  help: name.startsWith('sriov_')
    ? `Statistic ${name.slice('sriov_vf_'.length)}.`
    : 'Frames the VF sent that MAC or VLAN anti-spoof dropped.',
}));

export class DaemonMetrics {
  readonly registry = new Registry();
  private src: MetricSources | null = null;
  private unsubscribe: (() => void) | null = null;
  /** Last repair count per VF, to count repairs as deltas of vfStatus events. */
  private readonly repairs = new Map<string, number>();
  private readonly decisions: Counter<'type' | 'result'>;
  private readonly repaired: Counter;
  private readonly reconcile: Histogram;

  constructor() {
    const registers = [this.registry];
    this.decisions = new Counter({
      name: 'nicvisor_guest_decisions_total',
      help: 'Guest requests answered, by request type and result (ack, nack, limited).',
      labelNames: ['type', 'result'],
      registers,
    });
    this.repaired = new Counter({
      name: 'nicvisor_drift_repairs_total',
      help: 'VFs re-applied after they drifted from their policy (PF reset, ip link, ...).',
      registers,
    });
    this.reconcile = new Histogram({
      name: 'nicvisor_reconcile_duration_seconds',
      help: 'Time to bring a batch of VFs to their policy (plan, apply, observe rounds).',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.infoGauge();
    this.refusedGauge();
    this.lagGauges();
  }

  start(src: MetricSources, bus: EventBus): void {
    this.src = src;
    this.unsubscribe = bus.subscribe((e) => {
      if (e.type === 'audit' && e.entry.action === 'guest.request') {
        const type = (e.entry.request as Partial<GuestRequest> | null)?.type ?? 'unknown';
        this.decisions.inc({ type, result: e.entry.result });
      } else if (e.type === 'vfStatus') {
        const before = this.repairs.get(e.name) ?? 0;
        // A VF deleted and re-added starts at 0 again: not a negative repair.
        if (e.status.repairs > before) this.repaired.inc(e.status.repairs - before);
        this.repairs.set(e.name, e.status.repairs);
      }
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.src = null;
  }

  observeReconcile(seconds: number): void {
    this.reconcile.observe(seconds);
  }

  /** The exposition text: the Registry's metrics, then the per-VF families from the caches. */
  async text(): Promise<string> {
    const own = await this.registry.metrics();
    if (!this.src) return own;
    return `${own}\n${counterFamilies(VF_FAMILIES, vfRows(this.src))}\n${syncRows(this.src)}`;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private refusedGauge(): void {
    const self = this;
    new Gauge({
      name: 'nicvisor_config_refused_files',
      help: 'Configuration files refused at start or by the last reload; while above 0 the daemon runs its last committed configuration.',
      registers: [this.registry],
      collect() {
        this.set(self.src?.refused()?.files.length ?? 0);
      },
    });
  }

  /** The observed state of every LAG (read at scrape time from the last observation). */
  private lags(): { lag: string; status: LagStatus }[] {
    const src = this.src;
    if (!src) return [];
    return src
      .state()
      .main.lags.map((l) => ({ lag: l.name, o: src.observed.pf(l.members[0])?.lag }))
      .filter((x) => x.o?.config.name === x.lag)
      .map((x) => ({ lag: x.lag, status: (x.o as ObservedLag).status }));
  }

  /**
   * `nicvisor_lag_*`: per LAG its failovers, last failover time and frames lost in failover
   * windows; per member its link, whether it carries traffic, its link failures and frames.
   * Gauges set at collect time (a counter would have to be fed deltas the driver already
   * keeps); the names end in _total where the value only grows, as a counter's would.
   */
  private lagGauges(): void {
    const self = this;
    const registers = [this.registry];
    const perLag = (name: string, help: string, pick: (s: LagStatus) => number | null) =>
      new Gauge({
        name,
        help,
        labelNames: ['lag', 'mode'],
        registers,
        collect() {
          this.reset();
          for (const { lag, status } of self.lags()) {
            const v = pick(status);
            if (v !== null) this.set({ lag, mode: status.mode }, v);
          }
        },
      });
    const perMember = (
      name: string,
      help: string,
      pick: (m: LagStatus['members'][number]) => number,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: ['lag', 'pf'],
        registers,
        collect() {
          this.reset();
          for (const { lag, status } of self.lags())
            for (const m of status.members) this.set({ lag, pf: m.pf }, pick(m));
        },
      });
    perLag(
      'nicvisor_lag_failovers_total',
      'Times a LAG moved traffic off a failed member.',
      (s) => s.failovers,
    );
    perLag(
      'nicvisor_lag_last_failover_seconds',
      'Last failover of the LAG: member link down to first frame on the other member.',
      (s) => (s.lastFailoverMs === null ? null : s.lastFailoverMs / 1000),
    );
    perLag(
      'nicvisor_lag_lost_frames_total',
      'Frames sent to a failed member before the LAG noticed (the failover window).',
      (s) => s.lostFrames,
    );
    perMember('nicvisor_lag_member_up', 'Link of a LAG member as the bond sees it (1 up).', (m) =>
      m.linkUp ? 1 : 0,
    );
    perMember('nicvisor_lag_member_active', 'The member carries traffic now (1).', (m) =>
      m.active ? 1 : 0,
    );
    perMember(
      'nicvisor_lag_member_link_failures_total',
      'Link failures the bond saw on the member.',
      (m) => m.linkFailures,
    );
    perMember(
      'nicvisor_lag_member_tx_packets_total',
      'Frames the LAG sent on the member.',
      (m) => m.txPackets,
    );
    perMember(
      'nicvisor_lag_member_rx_packets_total',
      'Frames the LAG took from the member.',
      (m) => m.rxPackets,
    );
  }

  private infoGauge(): void {
    const self = this;
    new Gauge({
      name: 'nicvisor_info',
      help: 'Always 1; the labels say which nicvisor and driver run.',
      labelNames: ['version', 'driver'],
      registers: [this.registry],
      collect() {
        this.reset();
        if (self.src) this.set({ version: self.src.version, driver: self.src.driver }, 1);
      },
    });
  }
}

/** The sync-state gauge of every VF policy. */
function syncRows(src: MetricSources): string {
  const rows = [...src.state().policies.values()].map((p) => ({
    labels: labelPrefix({ name: p.name, pf: p.pf, vf: String(p.vf) }),
    state: src.status.get(p.name).syncState,
  }));
  return stateFamily(
    'nicvisor_vf_sync_state',
    '1 for the sync state each VF policy is in, 0 for the others.',
    SyncState.options,
    rows,
  );
}

/** One row per VF whose counters were read, labelled as the exporter does plus `name`. */
function vfRows(src: MetricSources): VfSample[] {
  const names = new Map<string, Map<number, string>>();
  for (const p of src.state().policies.values()) {
    const byVf = names.get(p.pf) ?? new Map<number, string>();
    names.set(p.pf, byVf.set(p.vf, p.name));
  }
  const rows: VfSample[] = [];
  for (const s of src.observed.vfSamples()) {
    rows.push({
      // The exporter's labels, in its order; `pf` is the PF's netdev (its id if it has none).
      labels: labelPrefix({
        pf: src.pfInfo.get(s.pf)?.netdev ?? s.pf,
        vf: String(s.vf),
        pciAddr: s.pciAddr ?? '',
        name: names.get(s.pf)?.get(s.vf) ?? '',
      }),
      counters: s.counters,
    });
  }
  return rows;
}
