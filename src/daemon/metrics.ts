/**
 * Prometheus metrics, in the daemon's own prom-client Registry (never the global one, so two
 * daemons in one process — the tests — do not share series).
 *
 * Per-VF counters carry the names, type and labels of sriov-network-metrics-exporter
 * (`sriov_vf_rx_bytes{pf,vf,pciAddr}`, counters) so existing dashboards work, plus nicvisor's
 * VF `name`. They are copied from the counters cache in collect(): a scrape never reads the
 * driver, however many VFs there are. Guest decisions and drift repairs are counted from the
 * event bus; the reconciler reports its durations through observeReconcile().
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PfInfo } from '../drivers/driver.js';
import { type GuestRequest, type SyncState, type VfCounters, vfKey } from '../model/index.js';
import type { EventBus } from './events.js';
import type { Reconciler } from './reconciler.js';
import type { StatsCache } from './stats.js';
import type { StoreState } from './store.js';
import type { StatusBoard } from './vf-status.js';

export interface MetricSources {
  state: () => StoreState;
  stats: StatsCache;
  status: StatusBoard;
  reconciler: Reconciler;
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
const VF_LABELS = ['pf', 'vf', 'pciAddr', 'name'] as const;
const SYNC_STATES: SyncState[] = ['in-sync', 'applying', 'failed', 'drifted', 'pending'];

type VfLabels = Record<(typeof VF_LABELS)[number], string>;
interface VfRow {
  labels: VfLabels;
  counters: Readonly<VfCounters>;
}

export class DaemonMetrics {
  readonly registry = new Registry();
  private src: MetricSources | null = null;
  private unsubscribe: (() => void) | null = null;
  /** Rows of the scrape in progress, built once and shared by every per-VF metric. */
  private rows: VfRow[] = [];
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
    this.perVfCounters();
    this.syncStateGauge();
    this.infoGauge();
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

  /** The exposition text; per-VF rows are built once per scrape from the caches. */
  async text(): Promise<string> {
    this.rows = this.src ? vfRows(this.src) : [];
    try {
      return await this.registry.metrics();
    } finally {
      this.rows = [];
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private perVfCounters(): void {
    const self = this;
    for (const [name, field] of Object.entries(SRIOV_VF_COUNTERS)) {
      new Counter({
        name,
        help: name.startsWith('sriov_')
          ? `Statistic ${name.slice('sriov_vf_'.length)}.`
          : 'Frames the VF sent that MAC or VLAN anti-spoof dropped.',
        labelNames: VF_LABELS,
        registers: [this.registry],
        collect() {
          this.reset();
          for (const r of self.rows) this.inc(r.labels, r.counters[field]);
        },
      });
    }
  }

  private syncStateGauge(): void {
    const self = this;
    new Gauge({
      name: 'nicvisor_vf_sync_state',
      help: '1 for the sync state each VF policy is in, 0 for the others.',
      labelNames: ['name', 'pf', 'vf', 'state'],
      registers: [this.registry],
      collect() {
        this.reset();
        if (!self.src) return;
        for (const p of self.src.state().policies.values()) {
          const now = self.src.status.get(p.name).syncState;
          const base = { name: p.name, pf: p.pf, vf: String(p.vf) };
          for (const state of SYNC_STATES) this.set({ ...base, state }, state === now ? 1 : 0);
        }
      },
    });
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

/** One row per VF the counters cache holds, labelled as the exporter does plus `name`. */
function vfRows(src: MetricSources): VfRow[] {
  const names = new Map<string, string>();
  for (const p of src.state().policies.values()) names.set(vfKey(p.pf, p.vf), p.name);
  const pci = new Map<string, string>();
  for (const id of src.pfInfo.keys()) {
    for (const v of src.reconciler.observedPf(id)?.vfs ?? [])
      if (v.pciAddr) pci.set(vfKey(id, v.vf), v.pciAddr);
  }
  const rows: VfRow[] = [];
  for (const [key, counters] of src.stats.vfEntries()) {
    const cut = key.lastIndexOf('#');
    const pfId = key.slice(0, cut);
    const info = src.pfInfo.get(pfId);
    rows.push({
      labels: {
        // The exporter's `pf` is the PF's netdev; the sim has none, so its id stands in.
        pf: info?.netdev ?? pfId,
        vf: key.slice(cut + 1),
        pciAddr: pci.get(key) ?? '',
        name: names.get(key) ?? '',
      },
      counters,
    });
  }
  return rows;
}
