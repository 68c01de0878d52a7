/**
 * The PF cards: link, VFs in use / enabled / total, MTU, QoS classes, LAG, counters, and a
 * settings form (numVfs, MTU, loopback, QoS) that PUTs /v1/pfs/{id}. Cards are built once
 * per PF and their facts refreshed in place on every stats tick, so a form being filled in
 * survives the refresh.
 */
import type { PfChangeResult, PfView } from '../model/index.js';
import { api, HttpError } from './api.js';
import { fill, h, si } from './dom.js';

type TrafficClass = NonNullable<NonNullable<PfView['policy']>['qos']>['trafficClasses'][number];

function qos(pf: PfView): string {
  const classes = pf.policy?.qos?.trafficClasses ?? [];
  if (classes.length === 0) return 'none';
  return classes
    .map((c) => `${c.name ?? 'tc'} ${c.bandwidth}%${c.strictPriority ? ' (strict)' : ''}`)
    .join(', ');
}

/** "bulk:60, voice:40:strict" ↔ traffic classes (the form's one-line spelling). */
export function formatClasses(classes: readonly TrafficClass[]): string {
  return classes
    .map((c) => `${c.name ?? 'tc'}:${c.bandwidth}${c.strictPriority ? ':strict' : ''}`)
    .join(', ');
}

/** Parse the one-line spelling; what does not parse goes to the daemon as typed, to be named. */
export function parseClasses(text: string): unknown[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      const [name, bw, strict] = item.split(':').map((x) => x.trim());
      const bandwidth = /^\d+$/.test(bw ?? '') ? Number(bw) : (bw ?? '');
      return { name, bandwidth, ...(strict === 'strict' ? { strictPriority: true } : {}) };
    });
}

/** "bond0 balance-xor: sim:nic1/0 up, active · sim:nic1/1 down · 2 failovers, last 52 ms". */
function lag(pf: PfView): string {
  const l = pf.lag;
  if (!l) return '';
  const members = l.members
    .map((m) => `${m.pf} ${m.linkUp ? 'up' : 'down'}${m.active ? ', active' : ''}`)
    .join(' · ');
  const last = l.lastFailoverMs === null ? '' : `, last ${l.lastFailoverMs.toFixed(1)} ms`;
  return `${l.name} ${l.mode}: ${members} · ${l.failovers} failover(s)${last}`;
}

function facts(pf: PfView): HTMLElement {
  const c = pf.counters;
  return h(
    'dl',
    {},
    h('dt', {}, 'link'),
    h(
      'dd',
      { class: pf.linkUp ? 'ok' : 'bad' },
      pf.linkUp ? `up ${si(pf.linkSpeedMbps * 1e6, 'b/s')}` : 'down',
    ),
    h('dt', {}, 'VFs'),
    h(
      'dd',
      { 'data-fact': 'vfs' },
      `${pf.vfNames.length} with policy / ${pf.numVfs} enabled / ${pf.totalVfs} max`,
    ),
    h('dt', {}, 'MTU'),
    h('dd', { 'data-fact': 'mtu' }, pf.mtu),
    h('dt', {}, 'loopback'),
    h('dd', { 'data-fact': 'loopback' }, pf.loopback ? 'on (VF to VF inside the NIC)' : 'off'),
    h('dt', {}, 'QoS'),
    h('dd', { 'data-fact': 'qos' }, qos(pf)),
    ...(pf.lag
      ? [
          h('dt', {}, 'LAG'),
          h(
            'dd',
            { class: pf.lag.members.every((m) => m.linkUp) ? 'ok' : 'bad', 'data-fact': 'lag' },
            lag(pf),
          ),
        ]
      : []),
    h('dt', {}, 'rx / tx'),
    h(
      'dd',
      {},
      c
        ? `${si(c.rxPackets)} pkts, ${si(c.rxBytes, 'B')} / ${si(c.txPackets)} pkts, ${si(c.txBytes, 'B')}`
        : '–',
    ),
    h('dt', {}, 'driver'),
    h('dd', {}, `${pf.driver}${pf.managed ? '' : ' (no PF policy)'}`),
  );
}

function numberOrRaw(s: string): number | string {
  return /^\d+$/.test(s.trim()) ? Number(s.trim()) : s.trim();
}

/** The settings form of one PF; `current` is read when it opens and when it saves. */
function settingsForm(current: () => PfView, onSaved: () => void): HTMLFormElement {
  const pf = current();
  const p = pf.policy;
  const numVfs = h('input', { type: 'text', name: 'numVfs', value: p?.numVfs ?? pf.numVfs });
  const mtu = h('input', { type: 'text', name: 'mtu', value: p?.mtu ?? pf.mtu });
  const loopback = h('input', {
    type: 'checkbox',
    name: 'loopback',
    checked: p?.loopback ?? pf.loopback,
  });
  const classes = h('input', {
    type: 'text',
    name: 'qos',
    value: formatClasses(p?.qos?.trafficClasses ?? []),
    placeholder: 'bulk:60, voice:40:strict',
    spellcheck: false,
  });
  const problems = h('ul', { class: 'problems' });
  const status = h('span', { class: 'form-status', role: 'status' });
  const form = h(
    'form',
    { class: 'pf-settings', novalidate: true },
    h('span', { class: 'label' }, 'numVfs'),
    numVfs,
    h('span', { class: 'label' }, 'MTU'),
    mtu,
    h('span', { class: 'label' }, 'loopback'),
    loopback,
    h('span', { class: 'label' }, 'QoS classes'),
    classes,
    h('span', {}),
    h('span', {}, h('button', { type: 'submit' }, 'Save PF settings'), ' ', status),
    problems,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const now = current();
    const base: Record<string, unknown> = { ...(now.policy ?? {}), pf: now.id };
    const body: Record<string, unknown> = {
      ...base,
      numVfs: numberOrRaw(numVfs.value),
      mtu: numberOrRaw(mtu.value),
      loopback: loopback.checked,
    };
    const tcs = parseClasses(classes.value);
    const oldQos = (now.policy?.qos ?? {}) as Record<string, unknown>;
    if (tcs.length) body.qos = { ...oldQos, trafficClasses: tcs };
    else delete body.qos;
    status.textContent = 'saving…';
    problems.replaceChildren();
    api<PfChangeResult>('PUT', `/v1/pfs/${encodeURIComponent(now.id)}`, body)
      .then((r) => {
        status.textContent = r.changed
          ? `saved${r.configFile ? ` to ${r.configFile}` : ''}`
          : 'no change';
        onSaved();
      })
      .catch((err: unknown) => {
        status.textContent = (err as Error).message.split('\n')[0];
        if (err instanceof HttpError)
          for (const x of err.problems)
            problems.append(h('li', {}, `${x.field}: ${x.message}${x.fix ? ` — ${x.fix}` : ''}`));
      });
  });
  return form;
}

interface Card {
  root: HTMLElement;
  facts: HTMLElement;
  view: PfView;
}

export class PfCards {
  private readonly el: HTMLElement;
  private readonly cards = new Map<string, Card>();
  private readonly onSaved: () => void;

  constructor(el: HTMLElement, onSaved: () => void) {
    this.el = el;
    this.onSaved = onSaved;
  }

  render(pfs: PfView[]): void {
    for (const pf of pfs) {
      const card = this.cards.get(pf.id) ?? this.card(pf);
      card.view = pf;
      const f = facts(pf);
      card.facts.replaceWith(f);
      card.facts = f;
    }
    for (const id of [...this.cards.keys()])
      if (!pfs.some((p) => p.id === id)) this.cards.delete(id);
    // Re-attach only when the set of PFs changed: moving the nodes every tick would detach a
    // form's inputs and buttons under the operator's pointer.
    const roots = pfs.map((p) => this.cards.get(p.id)?.root);
    const same =
      roots.length === this.el.children.length && roots.every((r, i) => this.el.children[i] === r);
    if (!same) fill(this.el, ...roots);
  }

  private card(pf: PfView): Card {
    const slot = h('div', { class: 'pf-form-slot' });
    const c: Card = { root: h('article'), facts: h('dl'), view: pf };
    const toggle = h(
      'button',
      {
        type: 'button',
        class: 'pf-edit',
        onclick: () => {
          if (slot.firstChild) {
            slot.replaceChildren();
            toggle.textContent = 'settings';
          } else {
            slot.replaceChildren(settingsForm(() => c.view, this.onSaved));
            toggle.textContent = 'close';
          }
        },
      },
      'settings',
    );
    c.root = h(
      'article',
      { class: 'pf', 'data-pf': pf.id },
      h('h3', {}, pf.id, pf.netdev ? ` (${pf.netdev})` : '', ' ', toggle),
      c.facts,
      slot,
    );
    this.cards.set(pf.id, c);
    return c;
  }
}
