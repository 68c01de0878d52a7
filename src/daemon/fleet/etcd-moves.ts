/**
 * Migrations in the fleet store (issue 13's "a claim is owned once" across a hand-off):
 *
 *   moves/KIND:ID/SOURCE-CLAIM   FleetMove: the target's reservation while the source holds on
 *
 * prepare: the target records the move. The owner record and the MAC key stay the source's,
 *          so no third host can take the owner or the MAC while the VM is in flight.
 * commit:  the source's release hands both to the target in one transaction (owner record →
 *          the target, MAC key → the target's VF, claim record moved); the target's commit
 *          checks that it happened (or finishes it if the source's record is already gone).
 * abort:   the move key is deleted; the source's records were never touched.
 *
 * Every step is one transaction guarded by the mod revisions it read, so of two racers one
 * commits and the other reads again.
 */
import type { Namespace } from 'etcd3';
import {
  FleetMove,
  type FleetMove as FleetMoveT,
  MacClaim,
  type MacClaim as MacClaimT,
  OwnerRecord,
  type OwnerRecord as OwnerRecordT,
} from '../../model/fleet.js';
import type { MoveOutcome } from './backend.js';

const ATTEMPTS = 8;

export const moveKey = (owner: string, sourceClaim: string) => `moves/${owner}/${sourceClaim}`;
const ownerKey = (owner: string) => `owners/${owner}`;
const macKey = (network: string, mac: string) => `macs/${network}/${mac.toLowerCase()}`;

interface Read<T> {
  value: T | null;
  /** 0: the key is absent (guard with create_revision == 0). */
  mod: number;
}

async function read<T>(ns: Namespace, key: string, schema: { parse(v: unknown): T }) {
  const kv = (await ns.get(key).exec()).kvs[0];
  if (!kv) return { value: null, mod: 0 } as Read<T>;
  let value: T | null = null;
  try {
    value = schema.parse(JSON.parse(kv.value.toString()));
  } catch {
    // A foreign or torn value reads as held by nobody we know: guarded by its revision.
  }
  return { value, mod: Number(kv.mod_revision) } as Read<T>;
}

/** A guard for `key` as it was read: unchanged, or still absent. */
const same = (ns: Namespace, key: string, r: Read<unknown>) =>
  ns.if(key, r.mod === 0 ? 'Create' : 'Mod', '==', r.mod);

export async function reserveMove(
  ns: Namespace,
  m: Omit<FleetMoveT, 'from'>,
  network: string,
): Promise<MoveOutcome> {
  const key = moveKey(m.owner, m.sourceClaim);
  const mk = macKey(network, m.claim.mac);
  for (let i = 0; i < ATTEMPTS; i++) {
    const [mv, o, mac] = await Promise.all([
      read(ns, key, FleetMove),
      read(ns, ownerKey(m.owner), OwnerRecord),
      read(ns, mk, MacClaim),
    ]);
    if (mv.value?.token === m.token) return { ok: true, from: mv.value.from };
    if (mv.mod !== 0)
      return {
        ok: false,
        why: `claim ${m.sourceClaim} of ${m.owner} is already moving to host ${mv.value?.to ?? '?'} (token ${mv.value?.token ?? '?'}): abort that migration first`,
      };
    const owner = o.value;
    if (!owner)
      return {
        ok: false,
        why: `owner ${m.owner} has no claim recorded in the fleet store (claim ${m.sourceClaim} is on no host): nothing to move`,
      };
    if (owner.host === m.to)
      return {
        ok: false,
        why: `owner ${m.owner} is on host ${m.to} already: a claim does not migrate to its own host`,
      };
    if (!owner.claims.includes(m.sourceClaim))
      return {
        ok: false,
        why: `owner ${m.owner} holds ${owner.claims.join(', ') || 'no claim'} on host ${owner.host}, not claim ${m.sourceClaim}: the ticket is stale; prepare again on the source`,
      };
    if (owner.moving && owner.moving.host !== m.to)
      return {
        ok: false,
        why: `owner ${m.owner} is moving to host ${owner.moving.host} already (claims ${owner.moving.claims.join(', ')}): an owner's claims move to one host`,
      };
    const held = mac.value;
    if (!held)
      return {
        ok: false,
        why: `MAC ${m.claim.mac} on physical network ${network} is not recorded for the source host ${owner.host}: its claim record is incomplete; retry once the source's agent has synced its claims`,
      };
    if (held.host !== owner.host)
      return {
        ok: false,
        why: `MAC ${m.claim.mac} on physical network ${network} is held by host ${held.host} (${held.vf}), not by the source host ${owner.host}`,
      };
    const move: FleetMoveT = FleetMove.parse({ ...m, from: owner.host });
    const res = await same(ns, key, mv)
      .and(ownerKey(m.owner), 'Mod', '==', o.mod)
      .and(mk, 'Mod', '==', mac.mod)
      .then(ns.put(key).value(JSON.stringify(move)))
      .commit();
    if (res.succeeded) return { ok: true, from: owner.host };
  }
  throw new Error(`recording the migration of claim ${m.sourceClaim}: its keys keep changing`);
}

/** The owner record once `move` handed its claim to the target. */
function ownerAfter(owner: OwnerRecordT | null, move: FleetMoveT): OwnerRecordT {
  const id = move.claim.claim;
  if (!owner || owner.host !== move.from) return { host: move.to, claims: [id] };
  const rest = owner.claims.filter((c) => c !== move.sourceClaim);
  const moved = [
    ...new Set([...(owner.moving?.host === move.to ? owner.moving.claims : []), id]),
  ].sort();
  return rest.length === 0
    ? { host: move.to, claims: moved }
    : { host: move.from, claims: rest, moving: { host: move.to, claims: moved } };
}

/**
 * Hand the owner and the MAC of `move` to its target in one transaction, with the source's
 * claim record deleted. `sourceGone`: refuse while the source still records its claim (the
 * target's commit); the source's own release passes false.
 */
export async function handOver(
  ns: Namespace,
  owner: string,
  sourceClaim: string,
  token: string,
  opts: { sourceGone: boolean; to?: string; claim?: string },
): Promise<MoveOutcome | { ok: false; none: true }> {
  const key = moveKey(owner, sourceClaim);
  for (let i = 0; i < ATTEMPTS; i++) {
    const [mv, o] = await Promise.all([
      read(ns, key, FleetMove),
      read(ns, ownerKey(owner), OwnerRecord),
    ]);
    const move = mv.value;
    if (!move || move.token !== token) {
      const rec = o.value;
      const there =
        opts.to !== undefined &&
        opts.claim !== undefined &&
        ((rec?.host === opts.to && rec.claims.includes(opts.claim)) ||
          (rec?.moving?.host === opts.to && rec.moving.claims.includes(opts.claim)));
      if (there) return { ok: true, from: move?.from ?? '?' };
      return { ok: false, none: true };
    }
    const srcKey = `claims/${move.from}/${move.sourceClaim}`;
    const src = await read(ns, srcKey, { parse: (v: unknown) => v });
    if (opts.sourceGone && src.mod !== 0)
      return {
        ok: false,
        why: `the source host ${move.from} still records claim ${move.sourceClaim} of ${owner} in the fleet store: commit the source first (its release hands the owner and MAC ${move.claim.mac} over), then commit here`,
      };
    const holder = o.value?.host;
    if (holder && holder !== move.from && holder !== move.to)
      return {
        ok: false,
        why: `owner ${owner} is recorded on host ${holder}, neither the source ${move.from} nor the target ${move.to}: not handed over`,
      };
    const mk = macKey(move.claim.network, move.claim.mac);
    const mac = await read<MacClaimT>(ns, mk, MacClaim);
    if (mac.value && mac.value.host !== move.from && mac.value.host !== move.to)
      return {
        ok: false,
        why: `MAC ${move.claim.mac} on physical network ${move.claim.network} is held by host ${mac.value.host} (${mac.value.vf}): not handed to ${move.to}`,
      };
    const res = await same(ns, key, mv)
      .and(ownerKey(owner), o.mod === 0 ? 'Create' : 'Mod', '==', o.mod)
      .and(mk, mac.mod === 0 ? 'Create' : 'Mod', '==', mac.mod)
      .and(srcKey, src.mod === 0 ? 'Create' : 'Mod', '==', src.mod)
      .then(
        ns.delete().key(key),
        ns.delete().key(srcKey),
        ns.put(`claims/${move.to}/${move.claim.claim}`).value(JSON.stringify(move.claim)),
        ns.put(ownerKey(owner)).value(JSON.stringify(ownerAfter(o.value, move))),
        ns.put(mk).value(JSON.stringify({ host: move.to, vf: move.claim.policy })),
      )
      .commit();
    if (res.succeeded) return { ok: true, from: move.from };
  }
  throw new Error(`handing claim ${sourceClaim} of ${owner} over: its keys keep changing`);
}

export async function dropMove(
  ns: Namespace,
  owner: string,
  sourceClaim: string,
  token: string,
): Promise<void> {
  const key = moveKey(owner, sourceClaim);
  for (let i = 0; i < ATTEMPTS; i++) {
    const mv = await read(ns, key, FleetMove);
    if (!mv.value || mv.value.token !== token) return;
    const res = await same(ns, key, mv).then(ns.delete().key(key)).commit();
    if (res.succeeded) return;
  }
  throw new Error(`dropping the migration of claim ${sourceClaim}: its key keeps changing`);
}

export async function listMoves(ns: Namespace, host?: string): Promise<FleetMoveT[]> {
  const all = await ns.getAll().prefix('moves/').strings();
  const out: FleetMoveT[] = [];
  for (const v of Object.values(all)) {
    try {
      const m = FleetMove.parse(JSON.parse(v));
      if (host === undefined || m.to === host) out.push(m);
    } catch {
      // Not a move this version understands: left alone.
    }
  }
  return out;
}
