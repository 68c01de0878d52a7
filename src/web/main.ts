/**
 * The dashboard page: log in (if the listener wants a token), load PFs and VFs, follow the
 * daemon's events, and keep every panel current. Talks only to the API (api.ts).
 */
import type { DaemonEvent, HealthView, PfView, StatsView, VfView } from '../model/index.js';
import { adoptFragmentToken, api, clearToken, followEvents, HttpError, setToken } from './api.js';
import { AuditStream } from './audit.js';
import { byId, debounce, fill, h } from './dom.js';
import { mirrorPanel } from './mirror.js';
import { renderPfs } from './pfs.js';
import { RatePlots } from './plots.js';
import { PolicyForm } from './policy-form.js';
import { VfTable } from './vfs.js';

let vfs: VfView[] = [];
let selected: string | null = null;
let plots: RatePlots | null = null;
const table = new VfTable((name) => select(name));
const audit = new AuditStream();
const events = new AbortController();

function plotWidth(): number {
  return Math.max(320, Math.min(720, byId('detail').clientWidth - 24));
}

async function loadHealth(): Promise<void> {
  const hv = await api<HealthView>('GET', '/healthz');
  byId('health').textContent =
    `${hv.status} · ${hv.inSync}/${hv.vfs} VFs in sync${hv.failed ? ` · ${hv.failed} failed` : ''} · driver ${hv.driver} · v${hv.version}`;
  byId('health').className = hv.status;
}

async function loadVfs(): Promise<void> {
  vfs = await api<VfView[]>('GET', '/v1/vfs');
  table.render(vfs);
  const v = vfs.find((x) => x.name === selected);
  if (v) byId('mirror-slot').replaceChildren(mirrorPanel(v, vfs, () => void loadVfs()));
}

async function loadPfs(): Promise<void> {
  renderPfs(byId('pfs'), await api<PfView[]>('GET', '/v1/pfs'));
}

function select(name: string): void {
  selected = name;
  const v = vfs.find((x) => x.name === name);
  if (!v) return;
  plots?.destroy();
  plots = new RatePlots(name, plotWidth());
  fill(
    byId('detail'),
    h('h2', {}, `VF ${name}`),
    plots.root,
    h(
      'div',
      { id: 'mirror-slot' },
      mirrorPanel(v, vfs, () => void loadVfs()),
    ),
    new PolicyForm(v).root,
  );
  void plots.update();
}

async function onStats(): Promise<void> {
  table.updateCounters(await api<StatsView>('GET', '/v1/stats'));
  await Promise.all([plots?.update(), loadPfs(), loadHealth()]);
}

const refreshVfs = debounce(() => void loadVfs().then(loadHealth), 150);

function onEvent(e: DaemonEvent): void {
  if (e.type === 'audit') audit.add(e.entry);
  else if (e.type === 'stats') void onStats().catch(showError);
  else refreshVfs();
}

function showError(err: unknown): void {
  byId('error').textContent = err instanceof Error ? err.message : String(err);
}

function showLogin(message: string): void {
  const box = byId('login');
  box.hidden = false;
  byId('login-message').textContent = message;
  byId<HTMLInputElement>('login-token').focus();
}

async function start(): Promise<void> {
  try {
    await Promise.all([loadHealth(), loadPfs(), loadVfs()]);
  } catch (err) {
    if (err instanceof HttpError && err.status === 401) {
      clearToken();
      return showLogin(err.message);
    }
    return showError(err);
  }
  byId('login').hidden = true;
  byId('app').hidden = false;
  byId('audit-slot').replaceChildren(audit.root);
  byId('vf-slot').replaceChildren(table.root);
  if (!selected && vfs.length) table.select(vfs[0].name);
  void followEvents(
    onEvent,
    (up) => {
      byId('live').textContent = up ? 'live' : 'reconnecting…';
      byId('live').className = up ? 'ok' : 'bad';
    },
    events.signal,
  );
}

byId('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  setToken(byId<HTMLInputElement>('login-token').value);
  void start();
});
window.addEventListener(
  'resize',
  debounce(() => plots?.resize(plotWidth()), 200),
);
adoptFragmentToken();
void start();
