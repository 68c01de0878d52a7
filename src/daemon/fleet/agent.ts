/**
 * The fleet agent: the same daemon, with its desired state coming from the fleet store.
 * It registers the host under a lease, watches the desired prefix from its last revision,
 * takes the documents that select this host, writes them through the daemon's one commit
 * path (durable local store, then the NIC), and reports status per host.
 *
 * The fleet store unreachable: the daemon keeps running (and repairing) its last good state;
 * the etcd client resumes the watch from the last revision seen when the store is back, and
 * a compacted revision makes the agent read everything again (a resync). Syncs are
 * serialised and coalesced: a burst of changes is applied as one change of the host's state,
 * which is computed from all documents, so applying it again changes nothing.
 */
import {
  DEFAULT_NETWORK,
  type FleetClaim,
  type FleetRolloutView,
  type FleetView,
  type HostStatus,
  type Labels,
  type RefusedDoc,
} from '../../model/fleet.js';
import type { Claim, Problem } from '../../model/index.js';
import { canonical, docMacs, type HostDesired, hostDesired } from '../../policy/fleet.js';
import { VERSION } from '../assemble.js';
import type { Logger } from '../logger.js';
import type { ClaimGuard } from '../pools/claims.js';
import type { Daemon } from '../service.js';
import type { DocEvent, FleetBackend, WatchHandle } from './backend.js';
import { parseDocs } from './docs.js';
import { type HostChange, hostChange } from './host-change.js';
import { loadLocal, saveLocal } from './local.js';
import { fleetView } from './view.js';

export interface AgentOptions {
  host: string;
  labels: Labels;
  backend: FleetBackend;
  daemon: Daemon;
  stateDir: string;
  log: Logger;
  /** Wait before trying the fleet store again after a failure. */
  retryMs?: number;
}

export class FleetAgent {
  private readonly o: AgentOptions;
  private readonly raw = new Map<string, string>();
  private revision = 0;
  private watcher: WatchHandle | null = null;
  private running = false;
  private connected = false;
  private syncing: Promise<void> | null = null;
  private again = false;
  private base: unknown = null;
  private refused: RefusedDoc[] = [];
  private lastError: string | null = null;
  /** The last status write succeeded (else the next sync reports even without a change). */
  private reported = false;
  private publishing: Promise<void> | null = null;
  private publishAgain = false;
  private lastReported = '';
  private resyncs = 0;
  private changes = 0;
  private applyMs = 0;
  private lagMs: number | null = null;
  private lastSyncAt: string | null = null;
  private lastNewest: number | null = null;
  private statusTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private syncTimer: NodeJS.Timeout | null = null;
  /** The revision the last sync applied (what the status reports). */
  private synced = 0;
  private unsubscribe: (() => void) | null = null;
  /** Per VF name / PF id: how often this agent changed it (tests prove "never twice"). */
  readonly applied = new Map<string, number>();

  constructor(o: AgentOptions) {
    this.o = o;
  }

  get host(): string {
    return this.o.host;
  }

  /** Start after the daemon: apply what was saved, then connect in the background. */
  async start(): Promise<void> {
    const { daemon, stateDir, host } = this.o;
    this.base = daemon.storeState().mainDoc.data;
    this.running = true;
    const local = await loadLocal(stateDir, host);
    if (local) {
      for (const [k, v] of Object.entries(local.docs)) this.raw.set(k, v);
      this.revision = local.revision;
      await this.sync();
    }
    this.unsubscribe = daemon.bus.subscribe((e) => {
      // VF sync states and owners (a guest credential) are part of the status.
      if (e.type === 'vfStatus') this.publishSoon();
      else if (e.type === 'audit' && e.entry.action.startsWith('credential.')) this.publishSoon();
    });
    daemon.pools.claims.setGuard(this.claimGuard());
    void this.connect();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.o.daemon.pools.claims.setGuard(null);
    this.unsubscribe?.();
    for (const t of [this.statusTimer, this.retryTimer, this.syncTimer]) if (t) clearTimeout(t);
    this.statusTimer = this.retryTimer = this.syncTimer = null;
    await this.watcher?.close();
    this.watcher = null;
    await this.syncing;
    await this.o.backend.close();
  }

  private retry(what: string, err: unknown): void {
    this.connected = false;
    if (!this.running) return;
    // Shown in `fleet agent` / GET /v1/fleet/agent: a refused certificate says so there.
    this.lastError = `${what} failed: ${this.o.backend.describeError(err)}`;
    this.o.log.warn({ err: this.lastError }, `fleet store: ${what} failed; retrying`);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, this.o.retryMs ?? 1000);
  }

  private async connect(): Promise<void> {
    const { backend, host, labels, daemon } = this.o;
    try {
      await backend.register({
        host,
        labels,
        driver: daemon.driver.name,
        pfs: daemon.listPfs().map((p) => p.id),
        version: VERSION,
        startedAt: new Date().toISOString(),
      });
    } catch (err) {
      return this.retry('registration', err);
    }
    this.lastError = null;
    if (!this.running) return;
    await this.syncClaims().catch((err: Error) =>
      this.o.log.warn({ err: err.message }, 'comparing claims with the fleet store failed'),
    );
    if (this.revision > 0) this.watchFrom(this.revision + 1);
    else await this.resync();
  }

  /** A pool claim as the fleet store records it. */
  private fleetClaim(c: Claim, network: string): FleetClaim {
    return {
      host: this.o.host,
      claim: c.id,
      pool: c.pool,
      owner: `${c.owner.kind}:${c.owner.id}`,
      ...(c.ifname ? { ifname: c.ifname } : {}),
      network,
      mac: c.mac.toLowerCase(),
      policy: c.policy,
      since: c.since,
    };
  }

  private networkOf(pool: string): string {
    return (
      this.o.daemon.storeState().main.pools.find((p) => p.name === pool)?.physicalNetwork ??
      DEFAULT_NETWORK
    );
  }

  /** The daemon's claim path asks the fleet store through this (see ClaimGuard). */
  private claimGuard(): ClaimGuard {
    const { backend, host } = this.o;
    return {
      heldElsewhere: async (network) => {
        const held = await backend.macsOn(network);
        return new Set([...held].filter(([, h]) => h.host !== host).map(([m]) => m));
      },
      record: async (c, network) => {
        const r = await backend.claimVf(this.fleetClaim(c, network));
        if (r.ok) return r;
        const owner = `${c.owner.kind}:${c.owner.id}`;
        return r.conflict === 'owner'
          ? {
              ok: false,
              mac: false,
              why: `owner ${owner} holds claim ${r.claims.join(', ') || '?'} on host ${r.host}: an owner's claims are all on one host; release it there first (nicvisor release CLAIM on ${r.host})`,
            }
          : {
              ok: false,
              mac: true,
              why: `MAC ${r.mac} on physical network ${network} is held by host ${r.holder.host} (${r.holder.vf}): ask for another MAC or release it there`,
            };
      },
      forget: async (c) => {
        const m = c.migration;
        if (m?.role === 'target' && m.sourceClaim)
          await backend.dropMove(ownerOf(c), m.sourceClaim, m.token);
        const rec = (await backend.vfClaims(host)).find((x) => x.claim === c.id);
        if (rec) await backend.releaseVf(rec, m?.role === 'source' ? m.token : undefined);
      },
      reserveMove: async (c, network) => {
        const m = c.migration;
        if (m?.role !== 'target' || !m.sourceClaim)
          return { ok: false, why: `claim ${c.id} is not a migration target` };
        const r = await backend.reserveMove(
          {
            token: m.token,
            owner: ownerOf(c),
            sourceClaim: m.sourceClaim,
            to: host,
            claim: this.fleetClaim(c, network),
          },
          network,
        );
        return r.ok ? { ok: true } : r;
      },
      commitMove: async (c) => {
        const m = c.migration;
        if (m?.role !== 'target' || !m.sourceClaim)
          return { ok: false, why: `claim ${c.id} is not a migration target` };
        const r = await backend.commitMove({
          owner: ownerOf(c),
          sourceClaim: m.sourceClaim,
          token: m.token,
          to: host,
          claim: c.id,
        });
        return r.ok ? { ok: true } : r;
      },
      dropMove: async (c, token) => {
        for (const mv of await backend.moves())
          if (mv.owner === ownerOf(c) && mv.sourceClaim === c.id && mv.token === token)
            await backend.dropMove(mv.owner, mv.sourceClaim, token);
      },
    };
  }

  /**
   * Bring the fleet store's claim records of this host in line with the ledger (a release
   * while the store was unreachable left its record): records of claims the ledger no longer
   * holds are removed, claims the store does not know are recorded (a conflict is logged:
   * the VF is in use here, it is not taken from its owner).
   */
  private async syncClaims(): Promise<void> {
    const { backend, host, daemon } = this.o;
    // A migration's source (`migrating`) still holds its VF and MAC here; a reservation
    // (`reserved`) is recorded as a move, not as a claim, until the owner is handed over.
    const ledger = daemon.pools.ledger
      .view()
      .claims.filter((c) => c.state === 'active' || c.state === 'migrating');
    const recorded = await backend.vfClaims(host);
    const held = new Set(ledger.map((c) => c.id));
    // A released source claim whose hand-off did not reach the store hands over now; moves
    // towards this host for reservations the ledger no longer holds are dropped.
    const moves = await backend.moves();
    const pending = (r: FleetClaim) =>
      moves.find((m) => m.from === host && m.owner === r.owner && m.sourceClaim === r.claim);
    for (const r of recorded) if (!held.has(r.claim)) await backend.releaseVf(r, pending(r)?.token);
    const tokens = new Set(
      daemon.pools.ledger
        .view()
        .claims.filter((c) => c.state === 'reserved')
        .map((c) => c.migration?.token),
    );
    for (const m of moves)
      if (m.to === host && !tokens.has(m.token))
        await backend.dropMove(m.owner, m.sourceClaim, m.token);
    const known = new Set(recorded.map((r) => r.claim));
    for (const c of ledger) {
      if (known.has(c.id)) continue;
      const r = await backend.claimVf(this.fleetClaim(c, this.networkOf(c.pool)));
      if (!r.ok)
        this.o.log.error(
          { claim: c.id, conflict: r.conflict },
          'a claim of this host conflicts with the fleet store (owner or MAC held elsewhere)',
        );
    }
  }

  /** Read every document at one revision, apply, and watch from there. */
  private async resync(): Promise<void> {
    await this.watcher?.close();
    this.watcher = null;
    let snap: Awaited<ReturnType<FleetBackend['snapshot']>>;
    try {
      snap = await this.o.backend.snapshot();
    } catch (err) {
      return this.retry('full read', err);
    }
    if (!this.running) return;
    this.resyncs++;
    this.raw.clear();
    for (const d of snap.docs) this.raw.set(d.key, d.text);
    this.revision = snap.revision;
    this.connected = true;
    await this.sync();
    this.watchFrom(snap.revision + 1);
  }

  private watchFrom(from: number): void {
    this.watcher = this.o.backend.watch(from, {
      onEvents: (events, revision) => this.onEvents(events, revision),
      onCompacted: () => {
        this.o.log.warn({ from }, 'fleet revision compacted: reading the whole desired state');
        void this.resync();
      },
      onDisconnected: () => {
        this.connected = false;
      },
      onConnected: () => {
        const was = this.connected;
        this.connected = true;
        if (!was) this.publishSoon();
      },
    });
  }

  private onEvents(events: DocEvent[], revision: number): void {
    for (const e of events)
      if (e.type === 'put') this.raw.set(e.key, e.text);
      else this.raw.delete(e.key);
    this.revision = Math.max(this.revision, revision);
    this.connected = true;
    void this.sync();
  }

  /** Run one sync now, or once more after the one running (coalescing bursts). */
  sync(): Promise<void> {
    if (this.syncing) {
      this.again = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      do {
        this.again = false;
        await this.syncOnce().then(
          () => {
            this.lastError = null;
          },
          (err: Error) => {
            this.lastError = this.o.backend.describeError(err);
            this.o.log.error({ err: err.message }, 'fleet sync failed; the host keeps its state');
            // Nothing else may come to trigger the next try (a quiet fleet): retry.
            this.syncLater();
          },
        );
      } while (this.again && this.running);
      this.syncing = null;
    })();
    return this.syncing;
  }

  private async syncOnce(): Promise<void> {
    const { daemon, host, labels } = this.o;
    const received = Date.now();
    const revision = this.revision;
    const parsed = parseDocs(this.raw);
    const desired = hostDesired(parsed.docs, host, labels);
    const check = (c: Parameters<Daemon['checkChange']>[0]) => daemon.checkChange(c);
    let hc = hostChange(desired, daemon.storeState(), this.base, check);
    const lost = await this.claim(hc);
    if (lost.size > 0) hc = hostChange(desired, daemon.storeState(), this.base, check, lost);
    const commits = hc.puts.length + hc.deletes.length > 0 || hc.mainChanged;
    if (commits) {
      const out = await daemon.applyFleet(hc.change, `fleet:${host}`, {
        revision,
        put: hc.puts.map((d) => d.key),
        delete: hc.deletes,
      });
      for (const n of [...out.added, ...out.changed, ...out.deleted])
        this.applied.set(n, (this.applied.get(n) ?? 0) + 1);
      if (out.mainChanged)
        for (const d of desired.pfs)
          this.applied.set(d.target, (this.applied.get(d.target) ?? 0) + 1);
      this.changes +=
        out.added.length + out.changed.length + out.deleted.length + (out.mainChanged ? 1 : 0);
      await this.release(desired).catch((err: Error) =>
        this.o.log.warn(
          { err: err.message },
          'releasing MAC claims failed; retried on the next change',
        ),
      );
    }
    if (parsed.newest !== null && parsed.newest !== this.lastNewest) {
      this.lagMs = Math.max(0, received - parsed.newest);
      this.lastNewest = parsed.newest;
    }
    const refused = [...parsed.refused, ...hc.refused];
    // A change that does not concern this host (another rack's document) is neither saved
    // nor reported: its status stays at the last revision that changed something here, and
    // a label-scoped change writes one status per host it selects, not one per host.
    const concerns = commits || canonical(refused) !== canonical(this.refused) || !this.reported;
    this.refused = refused;
    if (!concerns) return;
    this.applyMs = Date.now() - received;
    this.lastSyncAt = new Date().toISOString();
    await saveLocal(this.o.stateDir, { host, revision, docs: Object.fromEntries(this.raw) });
    this.synced = revision;
    await this.publish();
  }

  /** Claim the MACs of every VF document about to be put; lost ones are refused. */
  private async claim(hc: HostChange): Promise<Map<string, Problem[]>> {
    const lost = new Map<string, Problem[]>();
    for (const d of hc.puts) {
      const macs = docMacs(d.policy);
      if (macs.length === 0) continue;
      const problem = (message: string, fix: string): Problem => ({
        file: d.key,
        field: 'policy.macs',
        value: macs,
        allowed: `MACs no other host holds on physical network ${d.network}`,
        fix,
        message,
      });
      try {
        const r = await this.o.backend.claimMacs(d.network, macs, {
          host: this.o.host,
          vf: d.target,
        });
        if (!r.ok)
          lost.set(d.key, [
            problem(
              `${d.key}: MAC ${r.mac} on network ${d.network} is held by host ${r.owner.host} (VF ${r.owner.vf})`,
              'give this VF another MAC, or scope the document to one host',
            ),
          ]);
      } catch (err) {
        lost.set(d.key, [
          problem(
            `${d.key}: cannot claim its MACs, the fleet store is unreachable (${(err as Error).message})`,
            'applied when the fleet store answers again',
          ),
        ]);
        this.syncLater();
      }
    }
    return lost;
  }

  /** Drop the MAC claims of VFs this host no longer runs (or runs with other MACs). */
  private async release(desired: HostDesired): Promise<void> {
    const net = new Map(desired.vfs.map((d) => [d.target, d.network]));
    const keep = new Set<string>();
    for (const [name, p] of this.o.daemon.storeState().policies)
      for (const m of p.macs ?? [])
        keep.add(`${net.get(name) ?? DEFAULT_NETWORK}/${m.toLowerCase()}`);
    // Pool claims hold their MAC on the pool's network; their release removes it.
    for (const c of this.o.daemon.pools.ledger.view().claims)
      keep.add(`${this.networkOf(c.pool)}/${c.mac.toLowerCase()}`);
    await this.o.backend.releaseMacs(this.o.host, keep);
  }

  status(revision = this.synced): HostStatus {
    const vfs: HostStatus['vfs'] = {};
    let busy = false;
    let bad = this.refused.length > 0;
    const claimed = new Map(
      this.o.daemon.pools.ledger
        .view()
        .claims.map((c) => [c.policy, `${c.owner.kind}:${c.owner.id}`]),
    );
    for (const v of this.o.daemon.listVfs()) {
      const s = v.status.syncState;
      const owner =
        claimed.get(v.name) ?? (v.hasCredential ? `guest:${this.o.host}/${v.name}` : null);
      vfs[v.name] = { syncState: s, lastError: v.status.lastError, owned: owner !== null, owner };
      if (s === 'applying' || s === 'pending' || s === 'drifted') busy = true;
      if (s === 'failed') bad = true;
    }
    return {
      host: this.o.host,
      revision,
      syncState: bad ? 'degraded' : busy ? 'syncing' : 'in-sync',
      vfs,
      refused: this.refused,
      lastSyncAt: this.lastSyncAt ?? new Date(0).toISOString(),
      applyMs: this.applyMs,
      lagMs: this.lagMs,
      connected: this.connected,
      resyncs: this.resyncs,
      changes: this.changes,
    };
  }

  /** Sync again after the retry delay (a claim could not reach the fleet store). */
  private syncLater(): void {
    if (this.syncTimer || !this.running) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = null;
      void this.sync();
    }, this.o.retryMs ?? 1000);
  }

  /**
   * Write this host's status, one write at a time. Two writes in flight could land out of
   * order: one held up by an etcd leader change (the client retries it on another member)
   * landed after a newer one and left a stale revision in the store for good, and the
   * rollout waited for that host until its timeout (seen with the leader killed mid-rollout).
   * A publish asked for while one is in flight runs once more after it, with the newest state.
   */
  private publish(): Promise<void> {
    if (this.publishing) {
      this.publishAgain = true;
      return this.publishing;
    }
    this.publishing = (async () => {
      do {
        this.publishAgain = false;
        await this.publishOnce();
      } while (this.publishAgain && this.running);
      this.publishing = null;
    })();
    return this.publishing;
  }

  private async publishOnce(): Promise<void> {
    const status = this.status(this.synced);
    const text = canonical(status);
    // VF status events after a commit mostly repeat what the sync just wrote.
    if (this.reported && text === this.lastReported) return;
    try {
      await this.o.backend.putStatus(status);
      this.reported = true;
      this.lastReported = text;
    } catch (err) {
      this.reported = false;
      // Offline: the status is written again when the store answers.
      this.publishSoon(this.o.retryMs ?? 1000);
      this.o.log.debug({ err: (err as Error).message }, 'fleet status not written');
    }
  }

  private publishSoon(ms = 200): void {
    if (this.statusTimer || !this.running) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = null;
      if (!this.syncing) void this.publish();
    }, ms);
  }

  /** The whole fleet from its store (`GET /v1/fleet/hosts`). */
  fleet(): Promise<FleetView> {
    return this.explained(() => fleetView(this.o.backend));
  }

  /** The rollout record (`GET /v1/fleet/rollout`). */
  rollout(): Promise<FleetRolloutView> {
    return this.explained(async () => {
      const r = await this.o.backend.rollout();
      return { revision: r.revision, rollout: r.record };
    });
  }

  private async explained<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (err) {
      throw new Error(this.o.backend.describeError(err));
    }
  }

  /** The agent as `GET /v1/fleet/agent` shows it. */
  view() {
    return {
      host: this.o.host,
      backend: this.o.backend.name,
      connected: this.connected,
      revision: this.revision,
      watchLagMs: this.lagMs,
      lastSyncAt: this.lastSyncAt,
      resyncs: this.resyncs,
      changes: this.changes,
      refused: this.refused,
      lastError: this.lastError,
    };
  }
}

const ownerOf = (c: Claim) => `${c.owner.kind}:${c.owner.id}`;
