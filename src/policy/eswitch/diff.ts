import type { EswitchRule, EswitchRuleSet, RuleDiff } from '../../model/index.js';

/** Objects of plain values (a match, an action) with the same keys and values. */
function flatEqual(a: object, b: object): boolean {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  for (const k of keys) if (x[k] !== y[k]) return false;
  return true;
}

/**
 * Whether two rules are the same rule (counters and handles of observed rules aside).
 * A hand-written comparison: a one-VF change diffs thousands of rules, and serialising each
 * to compare it costs several times more.
 */
function sameRule(a: EswitchRule, b: EswitchRule): boolean {
  const owner =
    a.owner === b.owner ||
    (a.owner !== 'pf' &&
      b.owner !== 'pf' &&
      a.owner.vf === b.owner.vf &&
      a.owner.name === b.owner.name);
  if (!owner || a.why !== b.why || a.counter !== b.counter) return false;
  if (!flatEqual(a.match, b.match) || a.actions.length !== b.actions.length) return false;
  return a.actions.every((x, i) => flatEqual(x, b.actions[i]));
}

function samePlace(a: EswitchRule, b: EswitchRule): boolean {
  return a.port === b.port && a.chain === b.chain && a.prio === b.prio;
}

/** Higher chains first (a goto's target exists before the goto), ascending prio. */
function installOrder(a: EswitchRule, b: EswitchRule): number {
  return b.chain - a.chain || a.prio - b.prio;
}

/** Lower chains first (gotos go before their targets), descending prio. */
function removeOrder(a: EswitchRule, b: EswitchRule): number {
  return a.chain - b.chain || b.prio - a.prio;
}

/**
 * What turns the installed rules into `next`, by rule id: new ids are added, ids whose rule
 * changed in place are replaced, ids gone (or moved to another place) are removed after the
 * new rules are in (RuleDiff documents the order a driver follows). `installed` may be
 * observed rules; their counters are ignored.
 */
export function diffRules(installed: readonly EswitchRule[], next: EswitchRuleSet): RuleDiff {
  const before = new Map(installed.map((r) => [r.id, r]));
  const add: EswitchRule[] = [];
  const change: EswitchRule[] = [];
  const remove: EswitchRule[] = [];
  let keep = 0;
  const wanted = new Set<string>();
  for (const r of next.rules) {
    wanted.add(r.id);
    const old = before.get(r.id);
    if (!old) add.push(r);
    else if (!samePlace(old, r)) {
      add.push(r);
      remove.push(old);
    } else if (!sameRule(old, r)) change.push(r);
    else keep++;
  }
  for (const [id, r] of before) if (!wanted.has(id)) remove.push(r);
  return {
    pf: next.pf,
    add: add.sort(installOrder),
    change: change.sort(installOrder),
    remove: remove.map(strip).sort(removeOrder),
    keep,
  };
}

/** An installed rule as a plain rule (observed rules carry counters and a handle). */
function strip(r: EswitchRule): EswitchRule {
  const { id, owner, port, chain, prio, match, actions, why, counter } = r;
  return counter
    ? { id, owner, port, chain, prio, match, actions, why, counter }
    : { id, owner, port, chain, prio, match, actions, why };
}

export function isEmptyDiff(d: RuleDiff): boolean {
  return d.add.length === 0 && d.change.length === 0 && d.remove.length === 0;
}
