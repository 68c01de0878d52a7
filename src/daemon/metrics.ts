/**
 * Prometheus metrics, in the daemon's own prom-client Registry (never the global one, so two
 * daemons in one process — the tests — do not share series).
 *
 * Per-VF counters carry the names, type and labels of sriov-network-metrics-exporter
 * (`sriov_vf_rx_bytes{pf,vf,pciAddr,numa_node}`, counters) so existing dashboards work, plus
 * nicvisor's VF `name`. Every per-VF and per-PF series spells `pf` the same way (the PF's
 * netdev, as the exporter does), so `sriov_vf_*` joins `nicvisor_vf_sync_state` on (pf, vf);
 * `nicvisor_pf_info` maps that spelling to nicvisor's PF id. They are copied from the daemon's observations at scrape time: a scrape never reads
 * the driver, however many VFs there are (metrics-text.ts says why they bypass prom-client's
 * metric objects). Guest decisions and drift repairs are counted from the
 * event bus; the reconciler reports its durations through observeReconcile().
 */

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
import type { AnswerOutcome } from './guest.js';
import {
  type CounterFamily,
  counterFamilies,
  type GaugeSample,
  gaugeFamily,
  labelPrefix,
  stateFamily,
  type VfSample,
} from './metrics-text.js';
import type { Observations } from './observations.js';
import { Counter, Gauge, Histogram, Registry } from './prom.js';
import type { JournalObserver } from './store/journal.js';
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

/**
 * Per-VF counters: metric name → field of VfCounters and help. The `sriov_vf_*` names are
 * the exporter's (it has no `_total` suffix); the ones it lacks follow its pattern.
 */
const VF_COUNTERS: Record<string, [keyof VfCounters, string]> = {
  sriov_vf_rx_bytes: ['rxBytes', 'Received bytes per virtual function.'],
  sriov_vf_tx_bytes: ['txBytes', 'Transmitted bytes per virtual function.'],
  sriov_vf_rx_packets: ['rxPackets', 'Received packets per virtual function.'],
  sriov_vf_tx_packets: ['txPackets', 'Transmitted packets per virtual function.'],
  sriov_vf_rx_dropped: ['rxDropped', 'Dropped packets on receipt per virtual function.'],
  sriov_vf_tx_dropped: ['txDropped', 'Dropped packets on transmit per virtual function.'],
  sriov_vf_rx_errors: ['rxErrors', 'Receive errors per virtual function.'],
  sriov_vf_tx_errors: ['txErrors', 'Transmit errors per virtual function.'],
  sriov_vf_rx_broadcast: ['rxBroadcast', 'Received broadcast packets per virtual function.'],
  sriov_vf_rx_multicast: ['rxMulticast', 'Received multicast packets per virtual function.'],
  nicvisor_vf_spoofed_total: ['spoofed', 'Frames the VF sent that MAC or VLAN anti-spoof dropped.'],
  nicvisor_vf_mirrored_total: ['mirrored', 'Copies of the VF’s frames sent to its mirror target.'],
};
/** Metric name → field, for tests and tools. */
export const SRIOV_VF_COUNTERS: Record<string, keyof VfCounters> = Object.fromEntries(
  Object.entries(VF_COUNTERS).map(([name, [field]]) => [name, field]),
);
const families = (m: Record<string, [keyof VfCounters, string]>): CounterFamily[] =>
  Object.entries(m).map(([name, [field, help]]) => ({ name, field, help }));
const VF_FAMILIES = families(VF_COUNTERS);

/** Per-PF counters (the PF's own port: uplink and host traffic, as the NIC counts it). */
const PF_COUNTERS: Record<string, [keyof VfCounters, string]> = {
  nicvisor_pf_rx_bytes_total: ['rxBytes', 'Bytes the PF received.'],
  nicvisor_pf_tx_bytes_total: ['txBytes', 'Bytes the PF transmitted.'],
  nicvisor_pf_rx_packets_total: ['rxPackets', 'Packets the PF received.'],
  nicvisor_pf_tx_packets_total: ['txPackets', 'Packets the PF transmitted.'],
  nicvisor_pf_rx_dropped_total: ['rxDropped', 'Packets the PF dropped on receipt.'],
  nicvisor_pf_tx_dropped_total: ['txDropped', 'Packets the PF dropped on transmit.'],
  nicvisor_pf_rx_errors_total: ['rxErrors', 'Receive errors of the PF.'],
  nicvisor_pf_tx_errors_total: ['txErrors', 'Transmit errors of the PF.'],
  nicvisor_pf_rx_broadcast_total: ['rxBroadcast', 'Broadcast packets the PF received.'],
  nicvisor_pf_rx_multicast_total: ['rxMulticast', 'Multicast packets the PF received.'],
};
/** Metric name → field, for tests and tools. */
export const PF_COUNTER_FIELDS: Record<string, keyof VfCounters> = Object.fromEntries(
  Object.entries(PF_COUNTERS).map(([name, [field]]) => [name, field]),
);
const PF_FAMILIES = families(PF_COUNTERS);

export class DaemonMetrics {
  readonly registry = new Registry();
  private src: MetricSources | null = null;
  private unsubscribe: (() => void) | null = null;
  /** Last repair count per VF, to count repairs as deltas of vfStatus events. */
  private readonly repairs = new Map<string, number>();
  private readonly decisions: Counter<'type' | 'result'>;
  private readonly repaired: Counter;
  private readonly reconcile: Histogram;
  private readonly answers: Histogram<'outcome'>;
  private readonly journalFsync: Histogram;
  private readonly journalRecords: Counter;
  private readonly journalRefused: Counter;
  private readonly journalCompaction: Histogram;

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
    this.answers = new Histogram({
      name: 'nicvisor_guest_request_duration_seconds',
      help: 'Time inside the daemon from a guest request to its answer, by outcome: change (an ack that changed state: durable write, and for API requests the reconcile), decision (any other ack or nack), limited (refused by the rate limit).',
      labelNames: ['outcome'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2.5],
      registers,
    });
    this.journalFsync = new Histogram({
      name: 'nicvisor_journal_fsync_duration_seconds',
      help: 'Time of each group-commit fsync round of the state journal; an ack that changes state waits for one. Its count is the number of rounds.',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2.5],
      registers,
    });
    this.journalRecords = new Counter({
      name: 'nicvisor_journal_records_total',
      help: 'Changes made durable by the state journal; over nicvisor_journal_fsync_duration_seconds_count it is the group-commit factor (changes per fsync round).',
      registers,
    });
    this.journalRefused = new Counter({
      name: 'nicvisor_journal_failed_records_total',
      help: 'Changes refused because the journal fsync covering them failed (a disk error: the change was cut off again, nothing was acknowledged).',
      registers,
    });
    this.journalCompaction = new Histogram({
      name: 'nicvisor_journal_compaction_duration_seconds',
      help: 'Time to write the state journal into the state files (policies, guest states) and drop the segments written.',
      buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10],
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

  observeGuestAnswer(seconds: number, outcome: AnswerOutcome): void {
    this.answers.observe({ outcome }, seconds);
  }

  /** What the state journal reports (store/journal.ts). */
  readonly journal: JournalObserver = {
    round: (seconds, records) => {
      this.journalFsync.observe(seconds);
      this.journalRecords.inc(records);
    },
    failed: (records) => this.journalRefused.inc(records),
    compacted: (seconds) => this.journalCompaction.observe(seconds),
  };

  /** The exposition text: the Registry's metrics, then the per-VF families from the caches. */
  async text(): Promise<string> {
    const own = await this.registry.metrics();
    const src = this.src;
    if (!src) return own;
    const labels = new PfLabels(src.pfInfo);
    return [
      own,
      counterFamilies(VF_FAMILIES, vfRows(src, labels)),
      syncRows(src, labels),
      counterFamilies(PF_FAMILIES, pfCounterRows(src, labels)),
      pfGauges(src, labels),
    ].join('\n');
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

/**
 * The labels every series of one PF shares, escaped once per scrape: `pf` as the exporter
 * spells it (the netdev; the id when there is none), `numa_node` as sysfs has it (-1, the
 * kernel's NUMA_NO_NODE, when the host or the bus has none).
 */
class PfLabels {
  private readonly byId = new Map<string, { pf: string; numa: string }>();
  constructor(pfInfo: ReadonlyMap<string, PfInfo>) {
    for (const [id, p] of pfInfo)
      this.byId.set(id, { pf: p.netdev ?? id, numa: String(p.numaNode ?? -1) });
  }
  pf(id: string): string {
    return this.byId.get(id)?.pf ?? id;
  }
  numa(id: string): string {
    return this.byId.get(id)?.numa ?? '-1';
  }
  vf(id: string, vf: number, pciAddr: string | undefined, name: string): string {
    return labelPrefix({
      pf: this.pf(id),
      vf: String(vf),
      pciAddr: pciAddr ?? '',
      numa_node: this.numa(id),
      name,
    });
  }
  of(id: string, pciAddr: string | undefined): string {
    return labelPrefix({ pf: this.pf(id), pciAddr: pciAddr ?? '', numa_node: this.numa(id) });
  }
}

/** The sync-state gauge of every VF policy, labelled as its VF's counters are. */
function syncRows(src: MetricSources, labels: PfLabels): string {
  // One pass over the observed VFs, not a search of its PF's VFs per policy (2048² at scale).
  const addr = new Map<string, string | undefined>();
  for (const pf of src.pfInfo.keys())
    for (const v of src.observed.pf(pf)?.vfs ?? []) addr.set(`${pf}#${v.vf}`, v.pciAddr);
  const rows = [...src.state().policies.values()].map((p) => ({
    labels: labels.vf(p.pf, p.vf, addr.get(`${p.pf}#${p.vf}`), p.name),
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
function vfRows(src: MetricSources, labels: PfLabels): VfSample[] {
  const names = new Map<string, Map<number, string>>();
  for (const p of src.state().policies.values()) {
    const byVf = names.get(p.pf) ?? new Map<number, string>();
    names.set(p.pf, byVf.set(p.vf, p.name));
  }
  const rows: VfSample[] = [];
  for (const s of src.observed.vfSamples()) {
    rows.push({
      labels: labels.vf(s.pf, s.vf, s.pciAddr, names.get(s.pf)?.get(s.vf) ?? ''),
      counters: s.counters,
    });
  }
  return rows;
}

function pfCounterRows(src: MetricSources, labels: PfLabels): VfSample[] {
  return src.observed.counterPfs().flatMap((id) => {
    const counters = src.observed.pfCounters(id);
    return counters ? [{ labels: labels.of(id, src.pfInfo.get(id)?.pciAddr), counters }] : [];
  });
}

/** What each PF is and how it is set, as gauges (from discovery and the last observation). */
function pfGauges(src: MetricSources, labels: PfLabels): string {
  const info: GaugeSample[] = [];
  const num: GaugeSample[] = [];
  const total: GaugeSample[] = [];
  const up: GaugeSample[] = [];
  const mtu: GaugeSample[] = [];
  for (const [id, p] of src.pfInfo) {
    const o = src.observed.pf(id);
    const l = labels.of(id, p.pciAddr);
    info.push({
      labels: `${l},${labelPrefix({ pf_id: id, driver: p.driver }).slice(1)}`,
      value: 1,
    });
    num.push({ labels: l, value: o?.numVfs ?? p.numVfs });
    total.push({ labels: l, value: o?.totalVfs ?? p.totalVfs });
    if (o) {
      up.push({ labels: l, value: o.linkUp ? 1 : 0 });
      mtu.push({ labels: l, value: o.mtu });
    }
  }
  return [
    gaugeFamily('nicvisor_pf_info', 'Always 1; maps the `pf` label to nicvisor’s PF id.', info),
    gaugeFamily('nicvisor_pf_num_vfs', 'VFs the PF has enabled (sriov_numvfs).', num),
    gaugeFamily('nicvisor_pf_total_vfs', 'VFs the PF can offer (sriov_totalvfs).', total),
    gaugeFamily('nicvisor_pf_link_up', '1 when the PF’s uplink has carrier.', up),
    gaugeFamily('nicvisor_pf_mtu_bytes', 'MTU of the PF’s netdev.', mtu),
  ].join('\n');
}
