/** The PF cards: link, VFs in use / enabled / total, MTU, QoS classes, LAG, counters. */
import type { PfView } from '../model/index.js';
import { fill, h, si } from './dom.js';

function qos(pf: PfView): string {
  const classes = pf.policy?.qos?.trafficClasses ?? [];
  if (classes.length === 0) return 'none';
  return classes
    .map((c) => `${c.name ?? 'tc'} ${c.bandwidth}%${c.strictPriority ? ' (strict)' : ''}`)
    .join(', ');
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

function card(pf: PfView) {
  const c = pf.counters;
  return h(
    'article',
    { class: 'pf', 'data-pf': pf.id },
    h('h3', {}, pf.id, pf.netdev ? ` (${pf.netdev})` : ''),
    h(
      'dl',
      {},
      h('dt', {}, 'link'),
      h(
        'dd',
        { class: pf.linkUp ? 'ok' : 'bad' },
        pf.linkUp ? `up ${si(pf.linkSpeedMbps * 1e6, 'b/s')}` : 'down',
      ),
      h('dt', {}, 'VFs'),
      h('dd', {}, `${pf.vfNames.length} with policy / ${pf.numVfs} enabled / ${pf.totalVfs} max`),
      h('dt', {}, 'MTU'),
      h('dd', {}, pf.mtu),
      h('dt', {}, 'QoS'),
      h('dd', {}, qos(pf)),
      ...(pf.lag
        ? [
            h('dt', {}, 'LAG'),
            h('dd', { class: pf.lag.members.every((m) => m.linkUp) ? 'ok' : 'bad' }, lag(pf)),
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
    ),
  );
}

export function renderPfs(el: HTMLElement, pfs: PfView[]): void {
  fill(el, ...pfs.map(card));
}
