/**
 * Live rate plots of one VF: packets/s and bytes/s, rx and tx, over the window the daemon
 * keeps (GET /v1/vfs/{name}/history). The first load takes the whole window; each stats
 * tick then asks only for samples newer than the last one (?since=), so a tick costs a few
 * numbers, not the window.
 *
 * The charts take the width of their container (a ResizeObserver, so they fill the panel
 * however the layout settles), the time axis shows times only (uPlot's default puts the
 * date under the first tick, where it overlapped the tick's label), and tx is drawn dashed
 * over a filled rx: when a VF answers every frame it receives the two lines coincide, and
 * both must still show.
 */
import type uPlotT from 'uplot';
import type { VfHistory } from '../model/index.js';
import { api } from './api.js';
import { h, si } from './dom.js';
import uPlot from './uplot.js';

type Cols = [number[], (number | null)[], (number | null)[]];

export const RX_COLOUR = '#2a7ae2';
export const TX_COLOUR = '#e2632a';
const HEIGHT = 200;

function clock(s: number): string {
  const d = new Date(s * 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

function chart(title: string, unit: string, width: number, el: HTMLElement): uPlotT {
  const fmt = (_u: uPlotT, v: number | null) => (v === null ? '–' : si(v, unit));
  return new uPlot(
    {
      title,
      width,
      height: HEIGHT,
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: [
        {
          values: (_u, splits) => {
            const labels = splits.map(clock);
            el.dataset.xTicks = labels.join(' '); // what the axis shows, for the tests
            return labels;
          },
          space: 80,
        },
        { values: (_u, vals) => vals.map((v) => si(v, unit)), size: 60 },
      ],
      series: [
        { value: (_u, v) => (v === null ? '–' : clock(v)) },
        {
          label: 'rx',
          stroke: RX_COLOUR,
          fill: 'rgba(42, 122, 226, 0.15)',
          width: 2,
          value: fmt,
        },
        { label: 'tx', stroke: TX_COLOUR, width: 2, dash: [8, 5], value: fmt },
      ],
    },
    [[], [], []],
    el,
  );
}

export class RatePlots {
  readonly root: HTMLElement;
  private readonly name: string;
  private readonly pkts: uPlotT;
  private readonly bytes: uPlotT;
  private t: number[] = [];
  private cols: Record<'rxPps' | 'txPps' | 'rxBps' | 'txBps', (number | null)[]> = {
    rxPps: [],
    txPps: [],
    rxBps: [],
    txBps: [],
  };
  private windowMs = 300_000;
  private readonly sizer: ResizeObserver;
  private width = 0;

  constructor(name: string) {
    this.name = name;
    const a = h('div', { class: 'plot', 'data-plot': 'pps' });
    const b = h('div', { class: 'plot', 'data-plot': 'bps' });
    this.root = h('div', { class: 'plots' }, a, b);
    this.pkts = chart(`${name}: packets/s`, '', 320, a);
    this.bytes = chart(`${name}: bytes/s`, 'B', 320, b);
    this.sizer = new ResizeObserver(() => this.fit());
    this.sizer.observe(this.root);
  }

  /** Take the container's width (called by the observer once laid out and on every change). */
  private fit(): void {
    const w = Math.floor(this.root.clientWidth);
    if (w < 100 || w === this.width) return;
    this.width = w;
    this.pkts.setSize({ width: w, height: HEIGHT });
    this.bytes.setSize({ width: w, height: HEIGHT });
    this.root.dataset.width = String(w);
  }

  /** Fetch samples newer than the last one shown and redraw. */
  async update(): Promise<void> {
    const since = this.t.length ? this.t[this.t.length - 1] : 0;
    const q = since ? `?since=${since}` : '';
    const hist = await api<VfHistory>(
      'GET',
      `/v1/vfs/${encodeURIComponent(this.name)}/history${q}`,
    );
    this.windowMs = hist.windowSeconds * 1000;
    this.t.push(...hist.t);
    for (const k of ['rxPps', 'txPps', 'rxBps', 'txBps'] as const) this.cols[k].push(...hist[k]);
    this.trim();
    const x = this.t.map((ms) => ms / 1000);
    this.pkts.setData([x, this.cols.rxPps, this.cols.txPps] as Cols);
    this.bytes.setData([x, this.cols.rxBps, this.cols.txBps] as Cols);
    // For the browser tests and anyone inspecting the page: what the plot now shows.
    this.root.dataset.points = String(this.t.length);
    this.root.dataset.lastRxPps = String(this.cols.rxPps.at(-1) ?? '');
  }

  private trim(): void {
    const from = Date.now() - this.windowMs;
    let drop = 0;
    while (drop < this.t.length && this.t[drop] < from) drop++;
    if (drop === 0) return;
    this.t.splice(0, drop);
    for (const c of Object.values(this.cols)) c.splice(0, drop);
  }

  destroy(): void {
    this.sizer.disconnect();
    this.pkts.destroy();
    this.bytes.destroy();
    this.root.remove();
  }
}
