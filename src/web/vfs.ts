/**
 * The VF table: policy summary, sync state, last error, counters; on a switchdev PF the
 * VF's representor (its devlink port and switch id in the tooltip and the detail panel). A click on a row selects
 * the VF for the detail panel. Counters are refreshed in place on every stats tick.
 *
 * Paged, with a filter: 2048 VFs as DOM rows cost seconds per refresh, so only one page of
 * rows exists at a time. The filter matches name, PF, index, state, MAC and policy summary.
 */
import type { StatsView, VfView } from '../model/index.js';
import { fill, h, si } from './dom.js';

export const PAGE_SIZE = 50;
const NO_MAC = '00:00:00:00:00:00';

/**
 * The MAC the VF really uses: what the NIC holds (after a guest's setMac that is the guest's
 * MAC), else what nicvisor wants it to be; null when neither has one.
 */
export function macInUse(v: VfView): string | null {
  const m = v.observed?.mac ?? v.desired.mac;
  return m && m !== NO_MAC ? m : null;
}

/** "vlan 100,200 · 02:00:…:10 · trust · ≤1000 Mb/s · mirror→tap (all)" */
export function policySummary(v: VfView): string {
  const p = v.policy;
  const parts: string[] = [];
  parts.push(
    p.untagged
      ? 'untagged'
      : `vlan ${p.vlans.join(',') || '–'}${p.vlanProto === '802.1ad' ? ' (QinQ)' : ''}`,
  );
  const mac = macInUse(v);
  const more = p.macs.length > 1 ? ` +${p.macs.length - 1}` : '';
  if (mac && p.macs.length && mac !== p.macs[0]) parts.push(`${mac} (guest; policy ${p.macs[0]})`);
  else if (mac) parts.push(mac + more);
  else if (p.macs.length) parts.push(p.macs[0] + more);
  if (p.trust) parts.push(p.trust === 'guarded' ? 'guarded trust' : 'trust');
  if (!p.macAntiSpoof) parts.push('no MAC anti-spoof');
  if (p.maxTxRate) parts.push(`≤${p.maxTxRate} Mb/s`);
  if (p.minTxRate) parts.push(`≥${p.minTxRate} Mb/s`);
  if (p.mtu) parts.push(`mtu ${p.mtu}`);
  if (p.mirror) parts.push(`mirror→${p.mirror.target} (${p.mirror.direction})`);
  return parts.join(' · ');
}

/** "representor nic0p1r2 · devlink port sim/nic0/65539 · switch nic0" (switchdev), or null. */
export function switchPortText(v: VfView): string | null {
  const sp = v.switchPort;
  if (!sp) return null;
  return `representor ${sp.representor} · devlink port ${sp.devlinkPort ?? '–'} · switch ${sp.switchId ?? '–'}${sp.via === 'devlink' ? '' : ` (via ${sp.via})`}`;
}

/** [field, heading, unit, minor: hidden in narrow windows (style.css)] */
const COUNTER_COLS = [
  ['rxPackets', 'rx pkts', '', false],
  ['txPackets', 'tx pkts', '', false],
  ['rxBytes', 'rx bytes', 'B', true],
  ['txBytes', 'tx bytes', 'B', true],
  ['rxDropped', 'rx drop', '', true],
  ['txDropped', 'tx drop', '', true],
  ['spoofed', 'spoofed', '', false],
] as const;

function matches(v: VfView, words: string[]): boolean {
  if (words.length === 0) return true;
  const text =
    `${v.name} ${v.pf} #${v.vf} ${v.switchPort?.representor ?? ''} ${v.status.syncState} ${policySummary(v)} ${v.status.lastError ?? ''}`.toLowerCase();
  return words.every((w) => text.includes(w));
}

export class VfTable {
  readonly root: HTMLElement;
  private readonly body: HTMLTableSectionElement;
  private readonly filter: HTMLInputElement;
  private readonly info: HTMLElement;
  private readonly prev: HTMLButtonElement;
  private readonly next: HTMLButtonElement;
  private selected: string | null = null;
  private readonly onSelect: (name: string) => void;
  private all: VfView[] = [];
  private shown: VfView[] = [];
  private page = 0;

  constructor(onSelect: (name: string) => void) {
    this.onSelect = onSelect;
    this.body = h('tbody');
    this.filter = h('input', {
      type: 'search',
      id: 'vf-filter',
      placeholder: 'filter: name, PF, state, MAC, VLAN…',
      autocomplete: 'off',
      spellcheck: false,
      oninput: () => {
        this.page = 0;
        this.draw();
      },
    });
    this.info = h('span', { id: 'vf-page', class: 'form-status' });
    this.prev = h('button', { type: 'button', id: 'vf-prev', onclick: () => this.turn(-1) }, '‹');
    this.next = h('button', { type: 'button', id: 'vf-next', onclick: () => this.turn(1) }, '›');
    const table = h(
      'table',
      { class: 'vfs', id: 'vf-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['name', 'PF / VF', 'policy', 'state', 'last error'].map((t) => h('th', {}, t)),
          ...COUNTER_COLS.map(([, t, , minor]) =>
            h('th', { class: minor ? 'num minor' : 'num' }, t),
          ),
        ),
      ),
      this.body,
    );
    this.root = h(
      'div',
      { class: 'vf-table' },
      h('div', { class: 'table-tools' }, this.filter, this.prev, this.info, this.next),
      h('div', { class: 'scroll' }, table),
    );
  }

  render(vfs: VfView[]): void {
    this.all = vfs;
    this.draw();
  }

  /** Show the page holding `name` (a VF just selected or created). */
  reveal(name: string): void {
    let i = this.shown.findIndex((v) => v.name === name);
    if (i < 0) {
      this.filter.value = '';
      this.draw();
      i = this.shown.findIndex((v) => v.name === name);
    }
    if (i >= 0 && Math.floor(i / PAGE_SIZE) !== this.page) {
      this.page = Math.floor(i / PAGE_SIZE);
      this.draw();
    }
  }

  private turn(d: number): void {
    this.page += d;
    this.draw();
  }

  private draw(): void {
    const words = this.filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    this.shown = this.all.filter((v) => matches(v, words));
    const pages = Math.max(1, Math.ceil(this.shown.length / PAGE_SIZE));
    this.page = Math.min(Math.max(0, this.page), pages - 1);
    const from = this.page * PAGE_SIZE;
    const rows = this.shown.slice(from, from + PAGE_SIZE);
    fill(this.body, ...rows.map((v) => this.row(v)));
    this.info.textContent =
      this.shown.length === 0
        ? `no VF matches (${this.all.length} in all)`
        : `${from + 1}–${from + rows.length} of ${this.shown.length}${this.shown.length < this.all.length ? ` (filtered from ${this.all.length})` : ''}`;
    this.prev.disabled = this.page === 0;
    this.next.disabled = this.page >= pages - 1;
  }

  private row(v: VfView): HTMLTableRowElement {
    const s = v.status.syncState;
    return h(
      'tr',
      {
        'data-vf': v.name,
        class: v.name === this.selected ? 'selected' : '',
        onclick: () => this.select(v.name),
      },
      h('td', {}, h('button', { class: 'link', type: 'button' }, v.name)),
      h(
        'td',
        {},
        `${v.pf} #${v.vf}`,
        ...(v.switchPort
          ? [
              h(
                'span',
                { class: 'switch-port', title: switchPortText(v) ?? '' },
                ` ⇄ ${v.switchPort.representor}`,
              ),
            ]
          : []),
      ),
      h('td', { class: 'summary' }, policySummary(v)),
      h('td', {}, h('span', { class: `state ${s}` }, s)),
      h('td', { class: 'error' }, v.status.lastError ?? ''),
      ...COUNTER_COLS.map(([k, , unit, minor]) =>
        h(
          'td',
          { class: minor ? 'num minor' : 'num', 'data-counter': k },
          si(v.counters?.[k], unit),
        ),
      ),
    );
  }

  select(name: string): void {
    this.selected = name;
    for (const tr of this.body.querySelectorAll('tr'))
      tr.classList.toggle('selected', (tr as HTMLElement).dataset.vf === name);
    this.onSelect(name);
  }

  /** Update the counter cells of the rows shown from a /v1/stats answer. */
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
