/**
 * One host's share of the fleet as a store change. Every document is checked on this host
 * (its schema, the host's NICs and driver capabilities, the other documents): a refused
 * document is reported under its key and the host keeps running what it had for that VF or
 * PF (its last good version), while every other document goes on. The store still validates
 * the whole change as one before anything is written.
 */

import type { RefusedDoc } from '../../model/fleet.js';
import { isRecord, type Problem, type Sourced, VfPolicy } from '../../model/index.js';
import { canonical, type HostDesired, type HostDoc } from '../../policy/fleet.js';
import { claimIdOfPolicy } from '../../policy/pools/members.js';
import type { Change, StoreState } from '../store/store.js';

export interface HostChange {
  change: Change;
  /** VF documents whose policy is put (new or changed): their MACs are claimed first. */
  puts: HostDoc[];
  deletes: string[];
  mainChanged: boolean;
  refused: RefusedDoc[];
}

const MAX_ROUNDS = 6;

/**
 * The main config with the fleet's PF policies in place of the local ones of the same PF,
 * and its pools in place of the local pools of the same name.
 */
export function mainWith(
  base: unknown,
  pfs: readonly HostDoc[],
  pools: readonly HostDoc[] = [],
): unknown {
  if (!isRecord(base)) return base;
  const replace = (list: unknown, docs: readonly HostDoc[], key: 'pf' | 'name') => {
    const local = Array.isArray(list) ? (list as unknown[]) : [];
    const byKey = new Map(docs.map((d) => [d.target, d.policy]));
    const kept = local.filter(
      (p) => !(isRecord(p) && typeof p[key] === 'string' && byKey.has(p[key] as string)),
    );
    return [...kept, ...byKey.values()];
  };
  const out: Record<string, unknown> = { ...base, pfs: replace(base.pfs, pfs, 'pf') };
  if (pools.length > 0 || Array.isArray(base.pools)) out.pools = replace(base.pools, pools, 'name');
  return out;
}

function shapeProblems(d: HostDoc, issues: { path: PropertyKey[]; message: string }[]): Problem[] {
  return issues.map((i) => ({
    file: d.key,
    field: i.path.map(String).join('.') || '(document)',
    value: undefined,
    allowed: 'a VF policy as in files mode',
    fix: `correct ${d.key} in the fleet store`,
    message: `${d.key}: ${i.message}`,
  }));
}

/** A pool as the stored main document has it (raw, as a fleet document would give it). */
function rawPool(main: unknown, name: string): unknown {
  if (!isRecord(main) || !Array.isArray(main.pools)) return undefined;
  return main.pools.find((p) => isRecord(p) && p.name === name);
}

interface Round {
  refused: Map<string, Problem[]>;
}

/** Which refused-or-not document a problem belongs to; null: cannot tell. */
function ownerOf(
  p: Problem,
  keys: ReadonlySet<string>,
  mainFile: string,
  mainDocs: readonly HostDoc[],
  mainData: unknown,
): string[] | null {
  if (keys.has(p.file)) return [p.file];
  const m = /([^/]+)\.json$/.exec(p.file);
  if (m && keys.has(`vf/${m[1]}`)) return [`vf/${m[1]}`];
  if (p.file !== mainFile || mainDocs.length === 0) return null;
  // `pools.2.vfs`, `pfs.0.numVfs`: the fleet document that put that entry, when one did.
  const at = /^(pools|pfs)\.(\d+)/.exec(p.field);
  if (at && isRecord(mainData) && Array.isArray(mainData[at[1]])) {
    const entry = (mainData[at[1]] as unknown[])[Number(at[2])];
    const name = isRecord(entry) ? entry[at[1] === 'pfs' ? 'pf' : 'name'] : undefined;
    const prefix = at[1] === 'pfs' ? 'pf/' : 'pool/';
    const own = mainDocs.filter((d) => d.key.startsWith(prefix) && d.target === name);
    if (own.length > 0) return own.map((d) => d.key);
  }
  return mainDocs.map((d) => d.key);
}

function build(
  desired: HostDesired,
  state: StoreState,
  base: unknown,
  round: Round,
): {
  change: Change;
  puts: HostDoc[];
  deletes: string[];
  mainChanged: boolean;
  changedKeys: string[];
  mainDocs: HostDoc[];
  mainData: unknown;
} {
  const puts: HostDoc[] = [];
  const keepNames = new Set<string>();
  for (const d of desired.vfs) {
    keepNames.add(d.target);
    if (round.refused.has(d.key)) continue;
    const cur = state.policies.get(d.target);
    const parsed = VfPolicy.safeParse(d.policy);
    if (cur && parsed.success && canonical(parsed.data) === canonical(cur)) continue;
    puts.push(d);
  }
  // Claim policies belong to the pools (the ledger decides them, their release removes
  // them): the fleet owns every other VF policy.
  const deletes = [...state.policies.keys()].filter(
    (n) => !keepNames.has(n) && claimIdOfPolicy(n) === null,
  );
  // A refused PF or pool document keeps what the host runs now for that PF or pool.
  const kept = (docs: HostDoc[], now: (d: HostDoc) => unknown) => [
    ...docs.filter((d) => !round.refused.has(d.key)),
    ...docs.flatMap((d) => {
      const cur = round.refused.has(d.key) ? now(d) : undefined;
      return cur ? [{ ...d, policy: cur }] : [];
    }),
  ];
  const pfs = kept(desired.pfs, (d) => state.main.pfs.find((p) => p.pf === d.target));
  const pools = kept(
    desired.pools,
    (d) =>
      rawPool(state.mainDoc.data, d.target) ?? state.main.pools.find((p) => p.name === d.target),
  );
  const mainData = mainWith(base, pfs, pools);
  const mainDoc: Sourced = { file: state.mainDoc.file, data: mainData };
  const mainChanged = canonical(mainData) !== canonical(state.mainDoc.data);
  const live = [...pfs, ...pools].filter((d) => !round.refused.has(d.key));
  const change: Change = {
    put: puts.map((d) => ({ file: d.key, data: d.policy })),
    delete: deletes,
    ...(mainChanged ? { main: mainDoc } : {}),
  };
  const changedKeys = [...puts.map((d) => d.key), ...(mainChanged ? live.map((d) => d.key) : [])];
  return {
    change,
    puts,
    deletes,
    mainChanged,
    changedKeys,
    mainDocs: mainChanged ? live : [],
    mainData,
  };
}

/**
 * The change that brings this host to `desired`, refusing what this host cannot run.
 * `check` is the store's dry run; `extra` refusals (lost MAC claims) are passed in.
 */
export function hostChange(
  desired: HostDesired,
  state: StoreState,
  base: unknown,
  check: (c: Change) => Problem[],
  extra: ReadonlyMap<string, Problem[]> = new Map(),
): HostChange {
  const round: Round = { refused: new Map(extra) };
  // Shapes first: a document that is not a policy at all never reaches the store.
  for (const d of desired.vfs) {
    const r = VfPolicy.safeParse(d.policy);
    if (!r.success) round.refused.set(d.key, shapeProblems(d, r.error.issues));
  }
  const seen = new Map<string, string>();
  for (const d of desired.vfs) {
    const first = seen.get(d.target);
    if (first && !round.refused.has(d.key))
      round.refused.set(d.key, [
        {
          file: d.key,
          field: 'policy.name',
          value: d.target,
          allowed: 'one fleet document per VF name on a host',
          fix: `scope ${d.key} or ${first} to other hosts, or rename one`,
          message: `${d.key} and ${first} both define VF ${JSON.stringify(d.target)} on this host`,
        },
      ]);
    else seen.set(d.target, d.key);
  }
  let b = build(desired, state, base, round);
  for (let i = 0; i < MAX_ROUNDS; i++) {
    const problems = check(b.change);
    if (problems.length === 0) break;
    const keys = new Set(b.changedKeys);
    let attributed = false;
    for (const p of problems) {
      const owners = ownerOf(p, keys, state.mainDoc.file, b.mainDocs, b.mainData) ?? b.changedKeys;
      for (const k of owners) {
        round.refused.set(k, [...(round.refused.get(k) ?? []), p]);
        attributed = true;
      }
    }
    if (!attributed) break;
    b = build(desired, state, base, round);
  }
  const refused = [...round.refused].map(([doc, problems]) => ({ doc, problems }));
  return {
    change: b.change,
    puts: b.puts,
    deletes: b.deletes,
    mainChanged: b.mainChanged,
    refused,
  };
}
