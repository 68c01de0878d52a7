/**
 * The fleet store on etcd 3 (the `etcd3` client over gRPC). Keys under one prefix:
 *
 *   desired/vf/NAME, desired/pf/NAME   FleetDoc JSON (written by `nicvisor fleet apply`)
 *   rollout                            the rollout record (Rollout JSON)
 *   hosts/HOST                         HostRegistration, under the agent's lease
 *   status/HOST                        HostStatus (outlives the lease: last known state)
 *   macs/NETWORK/MAC                   MacClaim: who holds a MAC on a physical network
 *   claims/HOST/ID                     FleetClaim: a pool claim of that host
 *   owners/KIND:ID                     OwnerRecord: the one host an owner's claims are on
 *   moves/KIND:ID/CLAIM                FleetMove: a migration's target reservation (etcd-moves.ts)
 *   consent/ROLLOUT/OWNER              Consent: an owner agrees to a rollout's visible change
 *
 * Cross-host rules are etcd transactions: a MAC claim is a put guarded by
 * `create_revision == 0` for every MAC at once, so of two hosts racing exactly one commits;
 * a pool claim guards its owner's key and its MAC's key the same way in one transaction.
 */
import {
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  retry,
} from 'cockatiel';
import {
  Etcd3,
  type IOptions,
  isRecoverableError,
  type Lease,
  type Namespace,
  type Watcher,
} from 'etcd3';
import {
  Consent,
  type Consent as ConsentT,
  FleetClaim,
  type FleetClaim as FleetClaimT,
  type FleetMove as FleetMoveT,
  HostRegistration,
  HostStatus,
  MacClaim,
  type MacClaim as MacClaimT,
  OwnerRecord,
  type OwnerRecord as OwnerRecordT,
  Rollout,
} from '../../model/fleet.js';
import type { Logger } from '../logger.js';
import type {
  ClaimOutcome,
  DesiredSnapshot,
  DocEvent,
  DocWrite,
  FleetBackend,
  MoveCommit,
  MoveOutcome,
  VfClaimOutcome,
  WatchHandle,
  WatchHandlers,
} from './backend.js';
import { dropMove, handOver, listMoves, moveKey, reserveMove } from './etcd-moves.js';
import type { FleetTlsFiles, FleetUrl } from './url.js';

const DESIRED = 'desired/';
const LEASE_TTL_S = 5;
const CALL_DEADLINE_MS = 3000;

function parseAll<T>(
  schema: { safeParse(v: unknown): { success: boolean; data?: T } },
  texts: string[],
): T[] {
  const out: T[] = [];
  for (const t of texts) {
    try {
      const r = schema.safeParse(JSON.parse(t));
      if (r.success) out.push(r.data as T);
    } catch {
      // A foreign or half-written value under our prefix is skipped, never fatal.
    }
  }
  return out;
}

export function etcdOptions(u: FleetUrl): IOptions {
  const scheme = u.tls ? 'https' : 'http';
  const opts: IOptions = {
    hosts: u.endpoints.map((e) => `${scheme}://${e}`),
    dialTimeout: CALL_DEADLINE_MS,
    // Without a deadline a call to an unreachable cluster waits forever; the agent must
    // notice and keep running its last good state instead.
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + CALL_DEADLINE_MS }),
    // The client's defaults wait up to 30 s before watching again after a cut and shun a
    // member for 5 s; an agent should be back within about a second of etcd answering.
    faultHandling: {
      host: () =>
        circuitBreaker(handleWhen(isRecoverableError), {
          halfOpenAfter: 1000,
          breaker: new ConsecutiveBreaker(3),
        }),
      global: retry(handleWhen(isRecoverableError), { maxAttempts: 3 }),
      // etcd3 declares an IBackoff but calls next() on it as on a factory (watch.js).
      watchBackoff: new ExponentialBackoff({
        initialDelay: 100,
        maxDelay: 1000,
      }) as unknown as NonNullable<NonNullable<IOptions['faultHandling']>['watchBackoff']>,
    },
  };
  if (u.tls)
    opts.credentials = {
      // No CA: gRPC uses the system's roots.
      rootCertificate: u.tls.ca as Buffer,
      ...(u.tls.key ? { privateKey: u.tls.key } : {}),
      ...(u.tls.cert ? { certChain: u.tls.cert } : {}),
    };
  return opts;
}

/**
 * What a failed etcd call means, for an operator: gRPC reports a TLS refusal as
 * `14 UNAVAILABLE: No connection established. Last error: …SSL alert number 42` and the
 * like, which names neither the side that refused nor the option to change.
 */
export function describeEtcdError(err: unknown, u: FleetUrl, files: FleetTlsFiles = {}): string {
  const msg = err instanceof Error ? err.message : String(err);
  const where = u.endpoints.join(',');
  const cert = files.cert ? `--fleet-cert ${files.cert}` : 'no client certificate (--fleet-cert)';
  if (
    /alert (bad certificate|unknown ca|certificate required)|SSL alert number (42|48|116)/i.test(
      msg,
    )
  )
    return `the fleet store ${where} refused this client's TLS certificate (${cert}): etcd checks client certificates (--client-cert-auth) against its --trusted-ca-file; give --fleet-cert/--fleet-key signed by that CA (${msg.split('\n')[0]})`;
  if (
    /unable to verify|self[- ]signed|certificate verify failed|unable to get local issuer/i.test(
      msg,
    )
  )
    return `the fleet store ${where} shows a TLS certificate this client does not trust${files.ca ? ` (--fleet-ca ${files.ca})` : ''}: give the CA that signed etcd's --cert-file with --fleet-ca (${msg.split('\n')[0]})`;
  if (u.tls && /wrong version number|packet length too long|http\/1/i.test(msg))
    return `the fleet store ${where} does not speak TLS: use etcd:// rather than etcds:// (${msg.split('\n')[0]})`;
  return `the fleet store ${where}: ${msg.split('\n')[0]}`;
}

/**
 * The owner record once `host` released `claim` (undefined: unchanged, null: deleted). While
 * the owner migrates, releasing its last claim on the source leaves the target's claims.
 */
function ownerWithout(
  owner: OwnerRecordT,
  host: string,
  claim: string,
): OwnerRecordT | null | undefined {
  if (owner.host === host) {
    const rest = owner.claims.filter((x) => x !== claim);
    if (rest.length > 0) return { ...owner, claims: rest };
    return owner.moving ? { host: owner.moving.host, claims: owner.moving.claims } : null;
  }
  if (owner.moving?.host === host) {
    const rest = owner.moving.claims.filter((x) => x !== claim);
    const { moving: _m, ...base } = owner;
    return rest.length > 0 ? { ...base, moving: { host, claims: rest } } : base;
  }
  return undefined;
}

export class EtcdFleet implements FleetBackend {
  readonly name = 'etcd';
  private readonly client: Etcd3;
  private readonly ns: Namespace;
  private readonly log: Logger;
  private readonly url: FleetUrl;
  private readonly files: FleetTlsFiles;
  private lease: Lease | null = null;
  private closed = false;

  constructor(u: FleetUrl, log: Logger, files: FleetTlsFiles = {}) {
    this.client = new Etcd3(etcdOptions(u));
    this.ns = this.client.namespace(u.prefix);
    this.log = log;
    this.url = u;
    this.files = files;
  }

  describeError(err: unknown): string {
    return describeEtcdError(err, this.url, this.files);
  }

  async snapshot(): Promise<DesiredSnapshot> {
    const res = await this.ns.getAll().prefix(DESIRED).exec();
    return {
      revision: Number(res.header.revision),
      docs: res.kvs.map((kv) => ({
        key: kv.key.toString().slice(DESIRED.length),
        text: kv.value.toString(),
      })),
    };
  }

  watch(fromRevision: number, h: WatchHandlers): WatchHandle {
    let watcher: Watcher | null = null;
    let closed = false;
    void this.ns
      .watch()
      .prefix(DESIRED)
      .startRevision(String(fromRevision))
      .create()
      .then((w) => {
        watcher = w;
        if (closed) return void w.cancel();
        // create() resolves on the first 'connected': later ones are reconnections.
        h.onConnected();
        w.on('data', (res) => {
          const events: DocEvent[] = res.events.map((ev) => {
            const key = ev.kv.key.toString().slice(DESIRED.length);
            const revision = Number(ev.kv.mod_revision);
            return ev.type === 'Delete'
              ? { type: 'delete', key, revision }
              : { type: 'put', key, text: ev.kv.value.toString(), revision };
          });
          h.onEvents(events, Number(res.header.revision));
        });
        w.on('connected', () => h.onConnected());
        w.on('disconnected', (err: Error) => h.onDisconnected(err));
        // The only error a watcher emits is its cancellation; etcd cancels a watch whose
        // start revision was compacted ("mvcc: required revision has been compacted").
        w.on('error', (err: Error) => {
          this.log.warn({ err: err.message }, 'fleet watch canceled');
          // The client already dropped a canceled watcher: cancel() would wait forever.
          watcher = null;
          if (!closed) h.onCompacted();
        });
      })
      .catch((err: Error) => {
        if (!closed) h.onDisconnected(err);
      });
    return {
      close: async () => {
        closed = true;
        // Never wait on the network here: a watch still connecting (etcd unreachable) is
        // canceled by its own handler once created, and a cancel gets one second.
        const w = watcher as Watcher | null;
        if (!w) return;
        await Promise.race([
          w.cancel().catch(() => undefined),
          new Promise((r) => setTimeout(r, 1000).unref()),
        ]);
      },
    };
  }

  async register(reg: HostRegistration): Promise<void> {
    HostRegistration.parse(reg);
    const grant = async (): Promise<void> => {
      if (this.closed) return;
      const lease = this.ns.lease(LEASE_TTL_S, { autoKeepAlive: true });
      this.lease = lease;
      lease.on('lost', () => {
        if (this.closed || this.lease !== lease) return;
        this.log.warn('fleet registration lease lost; registering again');
        // A lost lease (etcd unreachable past the TTL) is granted anew once etcd answers.
        setTimeout(() => void grant().catch(() => lease.emit('lost')), 1000).unref();
      });
      await lease.put(`hosts/${reg.host}`).value(JSON.stringify(reg));
    };
    await grant();
  }

  async putStatus(status: HostStatus): Promise<void> {
    await this.ns.put(`status/${status.host}`).value(JSON.stringify(status));
  }

  async claimMacs(network: string, macs: string[], owner: MacClaimT): Promise<ClaimOutcome> {
    const keys = macs.map((m) => `macs/${network}/${m}`);
    const mine = JSON.stringify(MacClaim.parse(owner));
    for (let attempt = 0; attempt < 5; attempt++) {
      const held = await Promise.all(keys.map((k) => this.ns.get(k).exec()));
      let txn = this.ns.if(keys[0], 'Version', '>', -1);
      const puts = [];
      for (const [i, res] of held.entries()) {
        const kv = res.kvs[0];
        if (kv) {
          const other = parseAll<MacClaimT>(MacClaim, [kv.value.toString()])[0];
          if (!other || other.host !== owner.host)
            return { ok: false, mac: macs[i], owner: other ?? { host: '?', vf: '?' } };
          // Ours (maybe moving to another VF of this host): keep it only if unchanged since.
          txn = txn.and(keys[i], 'Mod', '==', Number(kv.mod_revision));
          if (other.vf !== owner.vf) puts.push(this.ns.put(keys[i]).value(mine));
        } else {
          txn = txn.and(keys[i], 'Create', '==', 0);
          puts.push(this.ns.put(keys[i]).value(mine));
        }
      }
      if (puts.length === 0) return { ok: true };
      const res = await txn.then(...puts).commit();
      if (res.succeeded) return { ok: true };
      // Someone moved one of the keys between the read and the transaction: read again.
    }
    throw new Error(`claiming MACs ${macs.join(', ')} on ${network}: the keys keep changing`);
  }

  async releaseMacs(host: string, keep: ReadonlySet<string>): Promise<void> {
    for (const [k, c] of await this.claimsOf(host)) {
      if (keep.has(k)) continue;
      await this.ns
        .if(`macs/${k}`, 'Value', '==', JSON.stringify(c))
        .then(this.ns.delete().key(`macs/${k}`))
        .commit();
    }
  }

  async claimsOf(host: string): Promise<Map<string, MacClaimT>> {
    const res = await this.ns.getAll().prefix('macs/').strings();
    const out = new Map<string, MacClaimT>();
    for (const [k, v] of Object.entries(res)) {
      const c = parseAll<MacClaimT>(MacClaim, [v])[0];
      if (c && c.host === host) out.set(k.slice('macs/'.length), c);
    }
    return out;
  }

  async claimVf(c: FleetClaimT): Promise<VfClaimOutcome> {
    const claim = FleetClaim.parse(c);
    const ownerKey = `owners/${claim.owner}`;
    const macKey = `macs/${claim.network}/${claim.mac.toLowerCase()}`;
    const macValue = JSON.stringify({ host: claim.host, vf: claim.policy });
    for (let attempt = 0; attempt < 8; attempt++) {
      const [o, m] = await Promise.all([this.ns.get(ownerKey).exec(), this.ns.get(macKey).exec()]);
      const okv = o.kvs[0];
      const mkv = m.kvs[0];
      const owner = okv ? parseAll<OwnerRecordT>(OwnerRecord, [okv.value.toString()])[0] : null;
      if (okv && (!owner || owner.host !== claim.host))
        return {
          ok: false,
          conflict: 'owner',
          host: owner?.host ?? '?',
          claims: owner?.claims ?? [],
        };
      const held = mkv ? parseAll<MacClaimT>(MacClaim, [mkv.value.toString()])[0] : null;
      if (mkv && (!held || held.host !== claim.host || held.vf !== claim.policy))
        return {
          ok: false,
          conflict: 'mac',
          mac: claim.mac,
          holder: held ?? { host: '?', vf: '?' },
        };
      const claims = [...new Set([...(owner?.claims ?? []), claim.claim])].sort();
      const res = await this.ns
        .if(ownerKey, okv ? 'Mod' : 'Create', '==', okv ? Number(okv.mod_revision) : 0)
        .and(macKey, mkv ? 'Mod' : 'Create', '==', mkv ? Number(mkv.mod_revision) : 0)
        .then(
          this.ns.put(ownerKey).value(JSON.stringify({ host: claim.host, claims })),
          this.ns.put(macKey).value(macValue),
          this.ns.put(`claims/${claim.host}/${claim.claim}`).value(JSON.stringify(claim)),
        )
        .commit();
      if (res.succeeded) return { ok: true };
      // Another host (or claim) moved a key between the read and the transaction: read again.
    }
    throw new Error(`recording claim ${claim.claim} in the fleet store: its keys keep changing`);
  }

  async releaseVf(c: FleetClaimT, handOverToken?: string): Promise<void> {
    if (handOverToken) {
      const r = await handOver(this.ns, c.owner, c.claim, handOverToken, { sourceGone: false });
      if (r.ok) return;
      if (!('none' in r)) throw new Error(r.why);
    }
    const ownerKey = `owners/${c.owner}`;
    const macKey = `macs/${c.network}/${c.mac.toLowerCase()}`;
    for (let attempt = 0; attempt < 8; attempt++) {
      const [o, m] = await Promise.all([this.ns.get(ownerKey).exec(), this.ns.get(macKey).exec()]);
      const okv = o.kvs[0];
      const mkv = m.kvs[0];
      const owner = okv ? parseAll<OwnerRecordT>(OwnerRecord, [okv.value.toString()])[0] : null;
      const held = mkv ? parseAll<MacClaimT>(MacClaim, [mkv.value.toString()])[0] : null;
      let txn = this.ns.if(
        ownerKey,
        okv ? 'Mod' : 'Create',
        '==',
        okv ? Number(okv.mod_revision) : 0,
      );
      txn = txn.and(macKey, mkv ? 'Mod' : 'Create', '==', mkv ? Number(mkv.mod_revision) : 0);
      const ops: Parameters<typeof txn.then> = [
        this.ns.delete().key(`claims/${c.host}/${c.claim}`),
        // A migration of this claim still pending has nothing left to move.
        this.ns.delete().key(moveKey(c.owner, c.claim)),
      ];
      // Only what this claim holds: the owner may have moved on to another host since.
      const next = owner ? ownerWithout(owner, c.host, c.claim) : undefined;
      if (next !== undefined)
        ops.push(
          next === null
            ? this.ns.delete().key(ownerKey)
            : this.ns.put(ownerKey).value(JSON.stringify(next)),
        );
      if (held && held.host === c.host && held.vf === c.policy)
        ops.push(this.ns.delete().key(macKey));
      const res = await txn.then(...ops).commit();
      if (res.succeeded) return;
    }
    throw new Error(`releasing claim ${c.claim} in the fleet store: its keys keep changing`);
  }

  reserveMove(move: Omit<FleetMoveT, 'from'>, network: string): Promise<MoveOutcome> {
    return reserveMove(this.ns, move, network);
  }

  async commitMove(m: MoveCommit): Promise<MoveOutcome> {
    const r = await handOver(this.ns, m.owner, m.sourceClaim, m.token, {
      sourceGone: true,
      to: m.to,
      claim: m.claim,
    });
    if (r.ok || !('none' in r)) return r;
    return {
      ok: false,
      why: `no migration with token ${m.token} of claim ${m.sourceClaim} (${m.owner}) is recorded in the fleet store: aborted, expired, or the source released its claim without handing it over`,
    };
  }

  dropMove(owner: string, sourceClaim: string, token: string): Promise<void> {
    return dropMove(this.ns, owner, sourceClaim, token);
  }

  moves(host?: string): Promise<FleetMoveT[]> {
    return listMoves(this.ns, host);
  }

  async macsOn(network: string): Promise<Map<string, MacClaimT>> {
    const res = await this.ns.getAll().prefix(`macs/${network}/`).strings();
    const out = new Map<string, MacClaimT>();
    for (const [k, v] of Object.entries(res)) {
      const c = parseAll<MacClaimT>(MacClaim, [v])[0];
      if (c) out.set(k.slice(`macs/${network}/`.length), c);
    }
    return out;
  }

  async vfClaims(host?: string): Promise<FleetClaimT[]> {
    const prefix = host === undefined ? 'claims/' : `claims/${host}/`;
    return parseAll(FleetClaim, Object.values(await this.ns.getAll().prefix(prefix).strings()));
  }

  async hosts(): Promise<HostRegistration[]> {
    return parseAll(
      HostRegistration,
      Object.values(await this.ns.getAll().prefix('hosts/').strings()),
    );
  }

  async statuses(): Promise<HostStatus[]> {
    return parseAll(HostStatus, Object.values(await this.ns.getAll().prefix('status/').strings()));
  }

  async writeDocs(w: DocWrite): Promise<{ ok: boolean; revision: number }> {
    const ops = [
      ...w.put.map((d) => this.ns.put(`${DESIRED}${d.kind}/${d.name}`).value(JSON.stringify(d))),
      ...w.delete.map((k) => this.ns.delete().key(`${DESIRED}${k}`)),
    ];
    if (w.rollout === null) ops.push(this.ns.delete().key('rollout'));
    else if (w.rollout) ops.push(this.ns.put('rollout').value(JSON.stringify(w.rollout)));
    const guard =
      w.rolloutRevision === undefined
        ? this.ns.if('rollout', 'Version', '>', -1)
        : w.rolloutRevision === 0
          ? this.ns.if('rollout', 'Create', '==', 0)
          : this.ns.if('rollout', 'Mod', '==', w.rolloutRevision);
    const res = await guard.then(...ops).commit();
    return { ok: res.succeeded, revision: Number(res.header.revision) };
  }

  async rollout(): Promise<{ record: Rollout | null; revision: number }> {
    const res = await this.ns.get('rollout').exec();
    const kv = res.kvs[0];
    if (!kv) return { record: null, revision: 0 };
    const record = parseAll<Rollout>(Rollout, [kv.value.toString()])[0] ?? null;
    return { record, revision: Number(kv.mod_revision) };
  }

  async putConsent(c: ConsentT): Promise<void> {
    const v = Consent.parse(c);
    await this.ns
      .put(`consent/${v.rollout}/${encodeURIComponent(v.owner)}`)
      .value(JSON.stringify(v));
  }

  async consents(rollout: string): Promise<ConsentT[]> {
    const all = await this.ns.getAll().prefix(`consent/${rollout}/`).strings();
    return parseAll(Consent, Object.values(all)).filter((c) => c.rollout === rollout);
  }

  async close(): Promise<void> {
    this.closed = true;
    const lease = this.lease;
    this.lease = null;
    if (lease) await lease.revoke().catch(() => undefined);
    this.client.close();
  }
}
