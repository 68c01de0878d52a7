/**
 * The pools card: per VF pool its capacity, claimed and free VFs, what a claim gets (the
 * profile), where the VFs are (physical network, device type, NUMA, PFs), the migration
 * hand-offs under way, and the claims with their owners and state (a reservation for a
 * migration here, a claim migrating away, with its peer and expiry), each with a release button (two clicks: DELETE /v1/claims/{id} with
 * the claim's fence token, so a stale page never releases a newer claim). Re-rendered on
 * claim and VF events; an armed button and the last release's answer survive a re-render.
 */
import type { Claim, PoolView, ReleaseResult } from '../model/index.js';
import { api } from './api.js';
import { fill, h } from './dom.js';

type Profile = PoolView['profile'];

/** "vlan 100 · MAC 02:00:00:00:02:00–02:00:00:00:02:ff · trust · ≤1000 Mb/s". */
export function profileSummary(p: Profile): string {
  const parts: string[] = [];
  parts.push(
    p.untagged
      ? 'untagged'
      : `vlan ${p.vlans.join(',') || '–'}${p.vlanProto === '802.1ad' ? ' (QinQ)' : ''}`,
  );
  const m = p.mac;
  if (m.mode === 'fixed') parts.push(`MAC from ${m.macs.length} fixed`);
  else if (m.mode === 'range') parts.push(`MAC ${m.from}–${m.to}`);
  else parts.push(`random MAC${m.prefix ? ` ${m.prefix}:…` : ''}`);
  if (p.trust) parts.push(p.trust === 'guarded' ? 'guarded trust' : 'trust');
  if (!p.macAntiSpoof) parts.push('no MAC anti-spoof');
  if (p.maxTxRate) parts.push(`≤${p.maxTxRate} Mb/s`);
  if (p.minTxRate) parts.push(`≥${p.minTxRate} Mb/s`);
  if (p.mtu) parts.push(`mtu ${p.mtu}`);
  return parts.join(' · ');
}

/** NUMA nodes of the pool: as configured, else as its members say; '–' when unknown. */
function numa(v: PoolView): string {
  const nodes = new Set(v.members.flatMap((m) => (m.numaNode === undefined ? [] : [m.numaNode])));
  if (v.numaNode !== undefined) nodes.add(v.numaNode);
  return nodes.size ? [...nodes].sort((a, b) => a - b).join(', ') : '–';
}

/** "2026-12-02 03:05:12 UTC" (the ledger's ISO time, to the second). */
function when(iso: string): string {
  return `${iso.replace('T', ' ').slice(0, 19)} UTC`;
}

/** "03:05:12 UTC" (a hand-off's expiry: within minutes, the day is implied). */
function clock(iso: string): string {
  return `${iso.slice(11, 19)} UTC`;
}

/**
 * What a claim is doing, in words: plain `active`, or its part in a migration hand-off
 * (docs/pools.md) with the other host and until when it may complete, or `releasing`.
 */
export function stateText(c: Claim): string {
  const m = c.migration;
  switch (c.state) {
    case 'active':
      return m?.role === 'target' ? `active · migrated from ${m.peer ?? 'another host'}` : 'active';
    case 'releasing':
      return 'being released';
    case 'reserved':
      return `reserved for a migration from ${m?.peer ?? 'another host'}${m?.sourceClaim ? ` (claim ${m.sourceClaim})` : ''}${m ? `, until ${clock(m.expires)}` : ''}: nothing applied yet`;
    case 'migrating':
      return `migrating to ${m?.peer ?? 'another host'}${m ? ` until ${clock(m.expires)}` : ''}: still served here`;
  }
}

/** "2 reserved for migrations here · 1 migrating away" ('' when no hand-off is under way). */
export function migrationSummary(claims: readonly Claim[]): string {
  const reserved = claims.filter((c) => c.state === 'reserved').length;
  const migrating = claims.filter((c) => c.state === 'migrating').length;
  return [
    reserved
      ? `${reserved} reserved for ${reserved === 1 ? 'a migration' : 'migrations'} here`
      : '',
    migrating ? `${migrating} migrating away` : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

/** How long a second click has to confirm a release. */
const ARM_MS = 4000;

export class PoolsCard {
  readonly root = h('div', { class: 'pools', id: 'pools' });
  private views: PoolView[] = [];
  /** Release buttons clicked once, by claim id, until confirmed or timed out. */
  private readonly armed = new Map<string, ReturnType<typeof setTimeout>>();
  /** The last release answer (or error) shown per pool. */
  private readonly notes = new Map<string, string>();
  private asked = 0;
  private readonly onError: (err: unknown) => void;

  constructor(onError: (err: unknown) => void) {
    this.onError = onError;
  }

  /** Re-read the pools; only the newest request's answer is shown (answers can cross). */
  async load(): Promise<void> {
    const mine = ++this.asked;
    const got = await api<PoolView[]>('GET', '/v1/pools');
    if (mine !== this.asked) return;
    this.views = got;
    this.render();
  }

  private render(): void {
    if (this.views.length === 0) {
      fill(
        this.root,
        h(
          'p',
          { class: 'muted', id: 'pools-empty' },
          'No pools: VFs are given to VMs and pods by claims on a pool (pools[] in the main config).',
        ),
      );
      return;
    }
    fill(this.root, ...this.views.map((v) => this.card(v)));
  }

  private card(v: PoolView): HTMLElement {
    const held = v.capacity - v.claimed - v.free;
    const pfs = [...new Set(v.members.map((m) => m.pf))];
    const note = this.notes.get(v.name);
    return h(
      'article',
      { class: 'pool', 'data-pool': v.name },
      h('h3', {}, v.name, ' ', h('span', { class: 'muted' }, v.deviceType)),
      h('meter', {
        min: 0,
        max: Math.max(v.capacity, 1),
        value: v.claimed,
        title: `${v.claimed} of ${v.capacity} claimed`,
      }),
      h(
        'dl',
        {},
        h('dt', {}, 'VFs'),
        h(
          'dd',
          {},
          h('span', { 'data-fact': 'capacity' }, v.capacity),
          ' capacity · ',
          h('span', { 'data-fact': 'claimed' }, v.claimed),
          ' claimed · ',
          h('span', { 'data-fact': 'free' }, v.free),
          ' free',
          held > 0 ? ` · ${held} held by VF policies` : '',
        ),
        ...(migrationSummary(v.claims)
          ? [
              h('dt', {}, 'migrations'),
              h('dd', { 'data-fact': 'migrations' }, migrationSummary(v.claims)),
            ]
          : []),
        h('dt', {}, 'network'),
        h('dd', { 'data-fact': 'network' }, v.physicalNetwork),
        h('dt', {}, 'device'),
        h(
          'dd',
          { 'data-fact': 'device' },
          `${v.deviceType} · ${v.placement}${v.migratable ? ' · migratable' : ''}`,
        ),
        h('dt', {}, 'NUMA'),
        h('dd', { 'data-fact': 'numa' }, numa(v)),
        h('dt', {}, 'PFs'),
        h('dd', { 'data-fact': 'pfs' }, pfs.join(', ') || '–'),
        h('dt', {}, 'profile'),
        h('dd', { 'data-fact': 'profile' }, profileSummary(v.profile)),
      ),
      this.claims(v),
      note ? h('p', { class: 'form-status', role: 'status' }, note) : null,
    );
  }

  private claims(v: PoolView): HTMLElement {
    if (v.claims.length === 0) return h('p', { class: 'muted claims-none' }, 'no claims');
    return h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'claims' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['claim', 'owner', 'PF / VF', 'MAC', 'since', 'state', ''].map((t) =>
              h('th', {}, t),
            ),
          ),
        ),
        h('tbody', {}, ...v.claims.map((c) => this.row(c))),
      ),
    );
  }

  private row(c: Claim): HTMLElement {
    const armed = this.armed.has(c.id);
    const releasing = c.state === 'releasing';
    // A hand-off in progress is finished or undone by its own steps (`nicvisor migrate
    // commit|abort`): a plain release here would cut the VF from under a VM in flight.
    const handOff = c.state === 'reserved' || c.state === 'migrating';
    const token = c.migration ? ` ${c.migration.token}` : '';
    return h(
      'tr',
      { 'data-claim': c.id, 'data-state': c.state },
      h('td', {}, c.id),
      h(
        'td',
        { class: 'owner' },
        `${c.owner.kind}:${c.owner.id}${c.ifname ? ` (${c.ifname})` : ''}`,
      ),
      h('td', {}, `${c.pf} / ${c.vf}`),
      h('td', { class: 'mac' }, c.mac),
      h('td', { title: c.since }, when(c.since)),
      h(
        'td',
        {
          class: `claim-state state-${c.state}`,
          title: c.migration ? `migration token ${c.migration.token}` : undefined,
        },
        stateText(c),
      ),
      h(
        'td',
        {},
        h(
          'button',
          {
            type: 'button',
            class: 'danger release',
            disabled: releasing || handOff,
            title: handOff
              ? `a migration hand-off is under way: finish it with \`nicvisor migrate commit${c.state === 'migrating' ? ` ${c.id}` : ''}\` or undo it with \`nicvisor migrate abort\`${token ? ` (token${token})` : ''}`
              : armed
                ? `click again to release the VF of ${c.owner.kind}:${c.owner.id}`
                : undefined,
            onclick: () => void this.release(c),
          },
          releasing ? 'releasing…' : armed ? 'confirm release' : 'release',
        ),
      ),
    );
  }

  /** First click arms, a second within ARM_MS releases the claim through the API. */
  private async release(c: Claim): Promise<void> {
    const timer = this.armed.get(c.id);
    if (!timer) {
      this.armed.set(
        c.id,
        setTimeout(() => {
          this.armed.delete(c.id);
          this.render();
        }, ARM_MS),
      );
      this.render();
      return;
    }
    clearTimeout(timer);
    this.armed.delete(c.id);
    this.notes.set(c.pool, `releasing ${c.id}…`);
    this.render();
    try {
      const r = await api<ReleaseResult>(
        'DELETE',
        `/v1/claims/${encodeURIComponent(c.id)}?fence=${c.fence}`,
      );
      this.notes.set(
        c.pool,
        r.verified
          ? `released ${r.released}: VF restored and verified`
          : `released ${r.released}, but the VF differs from before its claim: ${r.differences.join(', ')}`,
      );
    } catch (err) {
      this.notes.set(c.pool, `release of ${c.id} failed: ${(err as Error).message}`);
    }
    this.render();
    await this.load().catch(this.onError);
  }
}
