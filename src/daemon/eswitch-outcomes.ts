import {
  type ApplyResult,
  type DesiredVf,
  type EswitchRule,
  formatStep,
  type Plan,
  type RuleDiff,
} from '../model/index.js';

/**
 * What the reconciler needs to know about eswitch rule diffs: whose they are, how they
 * went, and one line each for the log. A rule of a VF belongs to that VF; a rule of the PF
 * (flooding, dispatch) to every VF of that PF being reconciled, since their traffic
 * depends on it.
 */

function ownersOf(rule: EswitchRule, pf: string, vfs: readonly DesiredVf[] | null): string[] {
  if (rule.owner !== 'pf') return [rule.owner.name];
  return vfs ? vfs.filter((v) => v.pf === pf).map((v) => v.name) : [`PF ${pf}`];
}

function rulesOf(d: RuleDiff): EswitchRule[] {
  return [...d.add, ...d.change, ...d.remove];
}

/** Names of the VFs (among `vfs`) whose rules a plan changes. */
export function eswitchOwners(p: Plan, vfs: readonly DesiredVf[]): string[] {
  const names = new Set<string>();
  for (const d of p.eswitch ?? [])
    for (const r of rulesOf(d)) for (const n of ownersOf(r, d.pf, vfs)) names.add(n);
  const wanted = new Set(vfs.map((v) => v.name));
  return [...names].filter((n) => wanted.has(n));
}

/**
 * The first refused rule of each owner, as an error naming the rule and the reason. With
 * `vfs` null (PF reconcile) PF rules are reported under `PF <id>`.
 */
export function eswitchFailures(
  result: ApplyResult,
  vfs: readonly DesiredVf[] | null,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const o of result.eswitch ?? []) {
    if (o.status !== 'failed') continue;
    const refused = o.failures.length;
    for (const f of o.failures) {
      for (const n of ownersOf(f.rule, o.diff.pf, vfs)) {
        if (!out.has(n))
          out.set(
            n,
            `eswitch rule ${f.rule.id} refused: ${f.error} (${refused} of ${o.diff.add.length + o.diff.change.length} rules refused on ${o.diff.pf})`,
          );
      }
    }
  }
  return out;
}

/** The plan for the log: every step, and per PF how many rules are added, changed, removed. */
export function planSummary(p: Plan): string[] {
  return [
    ...p.steps.map(formatStep),
    ...(p.eswitch ?? []).map(
      (d) =>
        `${d.pf} eswitch rules: +${d.add.length} ~${d.change.length} -${d.remove.length} (${d.keep} kept)`,
    ),
  ];
}
