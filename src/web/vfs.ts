/**
 * The VF table: policy summary, sync state, last error, counters. A click on a row selects
 * the VF for the detail panel. Counters are refreshed in place on every stats tick.
 */
import type { StatsView, VfView } from '../model/index.js';
import { fill, h, si } from './dom.js';

/** "vlan 100,200 · 02:00:…:10 · trust · ≤1000 Mb/s · mirror→tap (all)" */
export function policySummary(v: VfView): string {
  const p = v.policy;
  const parts: string[] = [];
  parts.push(
    p.untagged
      ? 'untagged'
      : `vlan ${p.vlans.join(',') || '–'}${p.vlanProto === '802.1ad' ? ' (QinQ)' : ''}`,
  );
  if (p.macs.length) parts.push(p.macs[0] + (p.macs.length > 1 ? ` +${p.macs.length - 1}` : ''));
  if (p.trust) parts.push(p.trust === 'guarded' ? 'guarded trust' : 'trust');
  if (!p.macAntiSpoof) parts.push('no MAC anti-spoof');
  if (p.maxTxRate) parts.push(`≤${p.maxTxRate} Mb/s`);
  if (p.minTxRate) parts.push(`≥${p.minTxRate} Mb/s`);
  if (p.mtu) parts.push(`mtu ${p.mtu}`);
  if (p.mirror) parts.push(`mirror→${p.mirror.target} (${p.mirror.direction})`);
  return parts.join(' · ');
}

const COUNTER_COLS = [
  ['rxPackets', 'rx pkts', ''],
  ['txPackets', 'tx pkts', ''],
  ['rxBytes', 'rx bytes', 'B'],
  ['txBytes', 'tx bytes', 'B'],
  ['rxDropped', 'rx drop', ''],
  ['txDropped', 'tx drop', ''],
  ['spoofed', 'spoofed', ''],
] as const;

export class VfTable {
  private readonly body: HTMLTableSectionElement;
  readonly root: HTMLTableElement;
  private selected: string | null = null;
  private readonly onSelect: (name: string) => void;

  constructor(onSelect: (name: string) => void) {
    this.onSelect = onSelect;
    this.body = h('tbody');
    this.root = h(
      'table',
      { class: 'vfs', id: 'vf-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['name', 'PF / VF', 'policy', 'state', 'last error'].map((t) => h('th', {}, t)),
          ...COUNTER_COLS.map(([, t]) => h('th', { class: 'num' }, t)),
        ),
      ),
      this.body,
    );
  }

  render(vfs: VfView[]): void {
    fill(this.body, ...vfs.map((v) => this.row(v)));
  }

  private row(v: VfView): HTMLTableRowElement {
    const s = v.status.syncState;
    const tr = h(
      'tr',
      {
        'data-vf': v.name,
        class: v.name === this.selected ? 'selected' : '',
        onclick: () => this.select(v.name),
      },
      h('td', {}, h('button', { class: 'link', type: 'button' }, v.name)),
      h('td', {}, `${v.pf} #${v.vf}`),
      h('td', { class: 'summary' }, policySummary(v)),
      h('td', {}, h('span', { class: `state ${s}` }, s)),
      h('td', { class: 'error' }, v.status.lastError ?? ''),
      ...COUNTER_COLS.map(([k, , unit]) =>
        h('td', { class: 'num', 'data-counter': k }, si(v.counters?.[k], unit)),
      ),
    );
    return tr;
  }

  select(name: string): void {
    this.selected = name;
    for (const tr of this.body.querySelectorAll('tr'))
      tr.classList.toggle('selected', (tr as HTMLElement).dataset.vf === name);
    this.onSelect(name);
  }

  /** Update the counter cells from a /v1/stats answer without rebuilding rows. */
  updateCounters(stats: StatsView): void {
    const by = new Map(stats.vfs.map((v) => [v.name, v.counters]));
    for (const tr of this.body.querySelectorAll<HTMLTableRowElement>('tr')) {
      const c = by.get(tr.dataset.vf ?? '');
      if (!c) continue;
      for (const td of tr.querySelectorAll<HTMLElement>('td[data-counter]')) {
        const k = td.dataset.counter as (typeof COUNTER_COLS)[number][0];
        const unit = COUNTER_COLS.find(([x]) => x === k)?.[2] ?? '';
        td.textContent = si(c[k], unit);
      }
    }
  }
}
