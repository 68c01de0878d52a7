/**
 * The dashboard page: log in (if the listener wants a token), load PFs and VFs, follow the
 * daemon's events, and keep every panel current. Talks only to the API (api.ts).
 */
import type { DaemonEvent, HealthView, PfView, StatsView, VfView } from '../model/index.js';
import {
  adoptFragmentToken,
  api,
  clearToken,
  followEvents,
  HttpError,
  hasToken,
  setToken,
} from './api.js';
import { AuditStream } from './audit.js';
import { byId, debounce, fill, h } from './dom.js';
import { LagCards } from './lags.js';
import { isBusy, mirrorPanel } from './mirror.js';
import { PfCards } from './pfs.js';
import { RatePlots } from './plots.js';
import { PolicyForm } from './policy-form.js';
import { PoolsCard } from './pools.js';
import { switchPortText, VfTable } from './vfs.js';

let vfs: VfView[] = [];
let pfs: PfView[] = [];
let selected: string | null = null;
let plots: RatePlots | null = null;
const table = new VfTable((name) => select(name));
const audit = new AuditStream();
const events = new AbortController();

async function loadHealth(): Promise<void> {
  const hv = await api<HealthView>('GET', '/healthz');
  byId('health').textContent =
    `${hv.status} · ${hv.inSync}/${hv.vfs} VFs in sync${hv.failed ? ` · ${hv.failed} failed` : ''} · driver ${hv.driver} · v${hv.version}`;
  byId('health').className = hv.status;
}

let vfsAsked = 0;
let vfsLatest: Promise<void> = Promise.resolve();

/**
 * Re-read the VFs. Answers can arrive out of order under load; only the newest request's
 * answer is shown (an older one would put back a mirror or policy just changed), and a
 * caller of an overtaken request waits for the newest.
 */
function loadVfs(): Promise<void> {
  const mine = ++vfsAsked;
  vfsLatest = api<VfView[]>('GET', '/v1/vfs').then((got) => {
    if (mine !== vfsAsked) return vfsLatest;
    showVfs(got);
  });
  return vfsLatest;
}

function showVfs(got: VfView[]): void {
  vfs = got;
  table.render(vfs);
  const v = vfs.find((x) => x.name === selected);
  const slot = document.getElementById('mirror-slot');
  if (v && slot && !isBusy(slot)) slot.replaceChildren(mirrorPanel(v, vfs, () => void loadVfs()));
}

const lags = new LagCards(byId('lags-section'));
const refreshLags = debounce(() => void lags.load().catch(showError), 100);
const pools = new PoolsCard((err) => showError(err));
const refreshPools = debounce(() => void pools.load().catch(showError), 150);

const pfCards = new PfCards(byId('pfs'), () => void Promise.all([loadPfs(), loadVfs()]));

async function loadPfs(): Promise<void> {
  pfs = await api<PfView[]>('GET', '/v1/pfs');
  pfCards.render(pfs);
}

/** After the form saved or deleted a policy: refresh, and follow the VF it was about. */
function policyDone(name: string, deleted: boolean, status: string, created: boolean): void {
  const was = selected;
  void loadVfs()
    .then(() => {
      if (selected !== was) return; // the operator moved on to another VF meanwhile
      if (deleted) {
        selected = null;
        plots?.destroy();
        plots = null;
        fill(byId('detail'), h('p', { class: 'form-status', id: 'detail-status' }, status));
      } else if (created) {
        table.reveal(name);
        select(name, status);
      }
    })
    .then(loadHealth)
    .catch(showError);
}

function select(name: string, status?: string): void {
  selected = name;
  const v = vfs.find((x) => x.name === name);
  if (!v) return;
  plots?.destroy();
  plots = new RatePlots(name);
  const form = new PolicyForm({
    view: v,
    vfs,
    pfs,
    onDone: (n, deleted, s) => policyDone(n, deleted, s, false),
    beforeDelete: () => {
      plots?.destroy();
      plots = null;
    },
    ...(status ? { status } : {}),
  });
  fill(
    byId('detail'),
    h('h2', {}, `VF ${name}`),
    ...(switchPortText(v) ? [h('p', { id: 'detail-switch-port' }, switchPortText(v))] : []),
    plots.root,
    h(
      'div',
      { id: 'mirror-slot' },
      mirrorPanel(v, vfs, () => void loadVfs()),
    ),
    form.root,
  );
  void plots.update();
}

/** The form for a new VF policy in the detail panel. */
function create(): void {
  selected = null;
  plots?.destroy();
  plots = null;
  const form = new PolicyForm({
    view: null,
    vfs,
    pfs,
    onDone: (n, deleted, s) => policyDone(n, deleted, s, true),
  });
  fill(byId('detail'), form.root);
  byId('detail').scrollIntoView({ block: 'nearest' });
}

async function onStats(): Promise<void> {
  table.updateCounters(await api<StatsView>('GET', '/v1/stats'));
  await Promise.all([plots?.update(), loadPfs(), loadHealth(), lags.load()]);
}

const refreshVfs = debounce(() => void loadVfs().then(loadHealth), 150);

function onEvent(e: DaemonEvent): void {
  if (e.type === 'audit') audit.add(e.entry);
  else if (e.type === 'stats') void onStats().catch(showError);
  else if (e.type === 'claim') refreshPools();
  else if (e.type === 'lag') {
    refreshLags();
    void loadPfs().catch(showError);
  } else {
    refreshVfs();
    // A VF policy (or a reload) changes which pool VFs are free.
    if (e.type === 'vfChanged' || e.type === 'reload') refreshPools();
  }
}

function showError(err: unknown): void {
  byId('error').textContent = err instanceof Error ? err.message : String(err);
}

function showLogin(message: string): void {
  const box = byId('login');
  box.hidden = false;
  byId('login-message').textContent = message;
  byId('live').textContent = 'token required';
  byId('live').className = 'bad';
  byId<HTMLInputElement>('login-token').focus();
}

async function start(): Promise<void> {
  try {
    await Promise.all([loadHealth(), loadPfs(), loadVfs(), pools.load(), lags.load()]);
  } catch (err) {
    if (err instanceof HttpError && err.status === 401) {
      const had = hasToken();
      clearToken();
      // The daemon's 401 speaks to CLI users (--token); the page says it in its own terms.
      return showLogin(
        had
          ? 'That token is not valid for this daemon. Check daemon.tcp.token and paste it again.'
          : 'This daemon is reached over TCP, so it wants its admin token.',
      );
    }
    return showError(err);
  }
  byId('login').hidden = true;
  byId('app').hidden = false;
  byId('live').textContent = 'connecting to events…';
  byId('audit-slot').replaceChildren(audit.root);
  byId('vf-slot').replaceChildren(table.root);
  byId('pools-slot').replaceChildren(pools.root);
  byId('lags-slot').replaceChildren(lags.root);
  byId('vf-new').onclick = () => create();
  void audit.load().catch(showError);
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
adoptFragmentToken();
void start();
