import type { StatsView, VfCounters, VfHistory } from '../../model/index.js';
import { human, table } from '../format.js';

const COUNTER_HEADER = [
  'RX_PKTS',
  'RX_BYTES',
  'TX_PKTS',
  'TX_BYTES',
  'RX_DROP',
  'TX_DROP',
  'ERRORS',
  'BCAST',
  'MCAST',
  'SPOOF',
  'MIRRORED',
];

function counterCells(c: VfCounters): string[] {
  return [
    c.rxPackets,
    c.rxBytes,
    c.txPackets,
    c.txBytes,
    c.rxDropped,
    c.txDropped,
    c.rxErrors + c.txErrors,
    c.rxBroadcast,
    c.rxMulticast,
    c.spoofed,
    c.mirrored,
  ].map(human);
}

/** `nicvisor show stats`: GET /v1/stats as tables (VFs, PFs) and the daemon's own counters. */
export function statsTables(s: StatsView): string {
  const d = s.daemon;
  const g = d.guestDecisions;
  const head = `stats at ${s.at ?? '(not read yet)'} (every ${s.intervalMs} ms)`;
  const vfs = table(
    ['NAME', 'PF', 'VF', ...COUNTER_HEADER],
    s.vfs.map((v) => [v.name, v.pf, String(v.vf), ...counterCells(v.counters)]),
  );
  const pfs = table(
    ['PF', ...COUNTER_HEADER],
    s.pfs.map((p) => [p.id, ...counterCells(p.counters)]),
  );
  const daemon =
    `daemon: up ${d.uptimeSeconds} s, rss ${human(d.rssBytes)}B, ${d.reconciles} reconciles, ` +
    `${d.repairs} repairs, ${d.driverApplySteps} driver steps, guest requests ` +
    `${g.ack} ack / ${g.nack} nack / ${g.limited} limited`;
  return [head, '', vfs, '', pfs, '', daemon].join('\n');
}

const rate = (v: number | null | undefined) =>
  v === null || v === undefined ? '-' : human(Math.round(v));

/** `nicvisor history NAME`: the VF's rates over the daemon's window, one row per sample. */
export function historyTable(h: VfHistory): string {
  const head = `${h.name}: ${h.t.length} samples every ${h.intervalMs} ms (window ${h.windowSeconds} s)`;
  const rows = h.t.map((t, i) => [
    new Date(t).toISOString(),
    rate(h.rxPps[i]),
    rate(h.txPps[i]),
    rate(h.rxBps[i]),
    rate(h.txBps[i]),
  ]);
  return `${head}\n${table(['TIME', 'RX_PPS', 'TX_PPS', 'RX_BPS', 'TX_BPS'], rows)}`;
}
