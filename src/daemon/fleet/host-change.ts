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

/** The main config with the fleet's PF policies in place of the local ones of the same PF. */
export function mainWith(base: unknown, pfs: readonly HostDoc[]): unknown {
  if (!isRecord(base)) return base;
  const local = Array.isArray(base.pfs) ? (base.pfs as unknown[]) : [];
  const byPf = new Map(pfs.map((d) => [d.target, d.policy]));
  const kept = local.filter((p) => !(isRecord(p) && typeof p.pf === 'string' && byPf.has(p.pf)));
  return { ...base, pfs: [...kept, ...byPf.values()] };
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

interface Round {
  refused: Map<string, Problem[]>;
}

/** Which refused-or-not document a problem belongs to; null: cannot tell. */
function ownerOf(p: Problem, keys: ReadonlySet<string>, mainFile: string, pfKeys: string[]) {
  if (keys.has(p.file)) return [p.file];
  const m = /([^/]+)\.json$/.exec(p.file);
  if (m && keys.has(`vf/${m[1]}`)) return [`vf/${m[1]}`];
  if (p.file === mainFile && pfKeys.length > 0) return pfKeys;
  return null;
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
  pfKeys: string[];
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
  const deletes = [...state.policies.keys()].filter((n) => !keepNames.has(n));
  const pfs = desired.pfs.filter((d) => !round.refused.has(d.key));
  // A refused PF document keeps the PF policy the host runs now.
  const keptPfs = desired.pfs
    .filter((d) => round.refused.has(d.key))
    .flatMap((d) => {
      const cur = state.main.pfs.find((p) => p.pf === d.target);
      return cur ? [{ ...d, policy: cur }] : [];
    });
  const mainData = mainWith(base, [...pfs, ...keptPfs]);
  const mainDoc: Sourced = { file: state.mainDoc.file, data: mainData };
  const mainChanged = canonical(mainData) !== canonical(state.mainDoc.data);
  const change: Change = {
    put: puts.map((d) => ({ file: d.key, data: d.policy })),
    delete: deletes,
    ...(mainChanged ? { main: mainDoc } : {}),
  };
  const changedKeys = [...puts.map((d) => d.key), ...(mainChanged ? pfs.map((d) => d.key) : [])];
  return {
    change,
    puts,
    deletes,
    mainChanged,
    changedKeys,
    pfKeys: mainChanged ? pfs.map((d) => d.key) : [],
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
      const owners = ownerOf(p, keys, state.mainDoc.file, b.pfKeys) ?? b.changedKeys;
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
