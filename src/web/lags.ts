/**
 * The LAG card (issue 18): per LAG its mode, whether the driver holds it as configured, each
 * member's link, whether it carries traffic, its link failures and frames, and the
 * failovers with the last one's duration and the frames lost. GET /v1/lags, re-read on LAG
 * events and stats ticks. The section is hidden on a host without LAGs.
 */
import type { LagView } from '../model/index.js';
import { api } from './api.js';
import { fill, h } from './dom.js';

/** "2 failover(s), last 10.0 ms, 3 frames lost" (what the driver can tell). */
export function failoverSummary(o: NonNullable<LagView['observed']>): string {
  const parts = [`${o.failovers} failover(s)`];
  if (o.lastFailoverMs !== null) parts.push(`last ${o.lastFailoverMs.toFixed(1)} ms`);
  if (o.lostFrames !== null) parts.push(`${o.lostFrames} frame(s) lost`);
  return parts.join(', ');
}

export class LagCards {
  readonly root = h('div', { class: 'lags', id: 'lags' });
  private asked = 0;
  /** The section to hide when there is no LAG. */
  private readonly section: HTMLElement;

  constructor(section: HTMLElement) {
    this.section = section;
  }

  /** Re-read the LAGs; only the newest request's answer is shown. */
  async load(): Promise<void> {
    const mine = ++this.asked;
    const got = await api<LagView[]>('GET', '/v1/lags');
    if (mine !== this.asked) return;
    this.section.hidden = got.length === 0;
    fill(this.root, ...got.map((l) => card(l)));
  }
}

function card(l: LagView): HTMLElement {
  const o = l.observed;
  const p = l.policy;
  return h(
    'article',
    { class: 'lag', 'data-lag': l.name },
    h(
      'h3',
      {},
      l.name,
      ' ',
      h('span', { class: 'muted' }, p.mode),
      ' ',
      h(
        'span',
        { class: l.inSync ? 'ok' : 'bad', 'data-fact': 'sync' },
        l.inSync ? 'as configured' : o ? 'differs from its policy' : 'not built',
      ),
    ),
    h(
      'dl',
      {},
      h('dt', {}, 'policy'),
      h(
        'dd',
        { 'data-fact': 'policy' },
        [
          p.xmitHashPolicy ? `hash ${p.xmitHashPolicy}` : '',
          p.miimon !== undefined ? `miimon ${p.miimon} ms` : '',
          p.mode === '802.3ad' && p.lacpRate ? `lacp ${p.lacpRate}` : '',
          p.primary ? `primary ${p.primary}` : '',
        ]
          .filter(Boolean)
          .join(' · '),
      ),
      h('dt', {}, 'failovers'),
      h('dd', { 'data-fact': 'failovers' }, o ? failoverSummary(o) : '–'),
    ),
    o
      ? h(
          'div',
          { class: 'scroll' },
          h(
            'table',
            { class: 'lag-members' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ...[
                  'member',
                  'link',
                  'carries traffic',
                  'link failures',
                  'tx frames',
                  'rx frames',
                ].map((t) => h('th', {}, t)),
              ),
            ),
            h(
              'tbody',
              {},
              ...o.members.map((m) =>
                h(
                  'tr',
                  { 'data-member': m.pf },
                  h('td', {}, m.pf),
                  h('td', { class: m.linkUp ? 'ok' : 'bad' }, m.linkUp ? 'up' : 'down'),
                  h('td', {}, m.active ? 'yes' : 'no'),
                  h('td', {}, m.linkFailures),
                  h('td', {}, m.txPackets),
                  h('td', {}, m.rxPackets),
                ),
              ),
            ),
          ),
        )
      : h('p', { class: 'muted' }, `members ${p.members.join(', ')}: not read back yet`),
  );
}
