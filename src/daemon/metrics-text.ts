/**
 * Exposition text of the per-VF and per-PF families (12 counters × every VF, the sync-state
 * gauge, the PF counters and gauges).
 *
 * Written here rather than through prom-client's metric objects: with 2048 VFs that is 26k
 * samples, and prom-client hashes a label object per inc() and formats and escapes every
 * sample's labels one by one — 175 ms per scrape on the bench, blocking the event loop. Here
 * each VF's label set is escaped once per scrape and reused by every family. The output is
 * the same Prometheus text format (0.0.4) the Registry writes for the other metrics.
 */
import type { SyncState, VfCounters } from '../model/index.js';

/** Escape a label value (text format: backslash, double quote, line feed). */
export function escapeLabel(v: string): string {
  return /[\\"\n]/.test(v)
    ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
    : v;
}

/** `{a="x",b="y"` (no closing brace, so a family can add its own labels). */
export function labelPrefix(labels: Record<string, string>): string {
  return `{${Object.entries(labels)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(',')}`;
}

export interface CounterFamily {
  name: string;
  help: string;
  field: keyof VfCounters;
}

export interface VfSample {
  /** labelPrefix() of the VF's labels. */
  labels: string;
  counters: Readonly<VfCounters>;
}

export function counterFamilies(families: CounterFamily[], rows: VfSample[]): string {
  const out: string[] = [];
  for (const f of families) {
    out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} counter`);
    for (const r of rows) out.push(`${f.name}${r.labels}} ${r.counters[f.field]}`);
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

export interface GaugeSample {
  labels: string;
  value: number;
}

export function gaugeFamily(name: string, help: string, rows: GaugeSample[]): string {
  const out = [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`];
  for (const r of rows) out.push(`${name}${r.labels}} ${r.value}`);
  return `${out.join('\n')}\n`;
}

export interface StateSample {
  labels: string;
  state: SyncState;
}

/** A state-set gauge: per VF one sample per state, 1 for the state it is in. */
export function stateFamily(
  name: string,
  help: string,
  states: readonly SyncState[],
  rows: StateSample[],
): string {
  const out = [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`];
  for (const r of rows)
    for (const s of states) out.push(`${name}${r.labels},state="${s}"} ${s === r.state ? 1 : 0}`);
  return `${out.join('\n')}\n`;
}
