/**
 * The fleet panel, shown only when the daemon runs in fleet mode (`serve --fleet`): every
 * host with its lease, health, applied revision and per-VF sync summary, and the rollout in
 * progress (whose consent it waits for, where it paused). It polls the API — the fleet's
 * state lives in etcd, not in this daemon's event stream.
 */
import type { FleetHostSummary, FleetHostsView, FleetRolloutView } from '../model/fleet.js';
import type { HealthView } from '../model/index.js';
import { api } from './api.js';
import { fill, h } from './dom.js';

const POLL_MS = 2000;

function vfSummary(vfs: Record<string, number>): string {
  const parts = Object.entries(vfs)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([state, n]) => `${n} ${state}`);
  return parts.length > 0 ? parts.join(', ') : 'no VFs';
}

function row(x: FleetHostSummary): HTMLTableRowElement {
  const labels = Object.entries(x.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return h(
    'tr',
    { 'data-host': x.host, class: x.online ? `health-${x.health ?? 'unknown'}` : 'offline' },
    h('td', { class: 'host' }, x.host),
    h('td', { class: 'lease' }, x.online ? 'online' : 'offline'),
    h('td', { class: 'health' }, x.health ?? 'never reported'),
    h('td', { class: 'revision' }, x.revision ?? '–'),
    h('td', { class: 'vfs' }, vfSummary(x.vfs)),
    h('td', { class: 'owned' }, x.owned),
    h('td', { class: 'refused' }, x.refused.join(', ')),
    h('td', { class: 'labels' }, labels),
  );
}

function rolloutText(v: FleetRolloutView): string {
  const r = v.rollout;
  if (!r) return 'No rollout.';
  let s = `Rollout ${r.id}: ${r.state}, ${r.done.length}/${r.hosts.length} hosts done, canary ${r.canary ?? '–'}, max ${r.maxUnavailable} VFs at once`;
  if (r.inFlight.length > 0) s += `; moving ${r.inFlight.join(', ')}`;
  if (r.waitingFor.length > 0) s += `; waiting for the consent of ${r.waitingFor.join(', ')}`;
  if (r.failure) s += `; paused on ${r.failure.host}: ${r.failure.error}`;
  return s;
}

export class FleetPanel {
  readonly root: HTMLElement;
  private readonly body: HTMLTableSectionElement;
  private readonly rollout: HTMLParagraphElement;
  private readonly note: HTMLParagraphElement;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor() {
    this.body = h('tbody');
    this.rollout = h('p', { id: 'fleet-rollout' });
    this.note = h('p', { class: 'form-status', id: 'fleet-note' });
    const head = ['host', 'lease', 'health', 'revision', 'VFs', 'owned', 'refused', 'labels'];
    this.root = h(
      'div',
      { class: 'fleet-panel' },
      this.rollout,
      h(
        'table',
        { id: 'fleet-hosts' },
        h('thead', {}, h('tr', {}, ...head.map((t) => h('th', {}, t)))),
        this.body,
      ),
      this.note,
    );
  }

  /** Show the panel in `section` if this daemon is in fleet mode, and keep it current. */
  async start(section: HTMLElement, slot: HTMLElement): Promise<void> {
    // Asked through /healthz: a 404 from /v1/fleet/agent would be a console error in
    // every dashboard of a daemon not in fleet mode.
    if (!(await api<HealthView>('GET', '/healthz')).fleet) return;
    slot.replaceChildren(this.root);
    section.hidden = false;
    await this.tick();
  }

  private async tick(): Promise<void> {
    try {
      const [hosts, rollout] = await Promise.all([
        api<FleetHostsView>('GET', '/v1/fleet/hosts'),
        api<FleetRolloutView>('GET', '/v1/fleet/rollout'),
      ]);
      fill(this.body, ...hosts.hosts.map(row));
      this.rollout.textContent = rolloutText(rollout);
      const bad = hosts.hosts.filter((x) => !x.online || x.health !== 'in-sync').length;
      this.note.textContent = `${hosts.hosts.length} hosts, ${bad} not in sync or offline · fleet revision ${hosts.revision}`;
    } catch (err) {
      // The fleet store unreachable: the hosts keep running; say so and keep the last view.
      this.note.textContent = err instanceof Error ? err.message : String(err);
    }
    this.timer = setTimeout(() => void this.tick(), POLL_MS);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
