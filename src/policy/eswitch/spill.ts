import type { EswitchRule, RuleAction } from '../../model/index.js';
import { CHAIN_FORWARD } from './classes.js';
import { catchAll } from './rule.js';

/**
 * A TC filter holds at most TCA_ACT_MAX_PRIO (32) actions; the kernel parses the first 32
 * and silently drops the rest. A flood to many ports needs more (one mirred per port, a
 * monitoring copy per mirroring port, a vlan pop): such a rule is split over chained rules.
 * The head keeps its id, place and match and does the first 31 actions, then `goto chain`
 * a spill chain whose one catch-all rule does the next ones, and so on; the frame is the
 * same all along (a `vlan pop` in one part stays done in the next), so the ports it
 * reaches and the tags it carries there are those of the one long rule.
 */
export const TC_MAX_ACTIONS = 32;

/**
 * The kernel re-runs classification at most 16 times per frame (`max_reclassify_loop` in
 * net/sched/cls_api.c; each `goto chain` is one, past that the frame is dropped): a VF's
 * frame takes 5 before its forwarding chain (chains 0→1→2→3→4→class), which leaves 11
 * for spill chains.
 */
export const TC_MAX_GOTOS = 16;
export const GOTOS_BEFORE_FORWARDING = CHAIN_FORWARD + 1;
export const MAX_SPILL_PARTS = TC_MAX_GOTOS - GOTOS_BEFORE_FORWARDING + 1;

/**
 * Spill chains lie above every forwarding chain (0x1000-0x3000): part k (1, 2, …) in
 * `k << 20 | h`, where h (20 bits) is a digest of the part's rule id and actions. A
 * changed flood thus gets new spill chains: a diff adds them (higher chains first), then
 * replaces the head in one step and removes the old ones, so no frame ever sees half an
 * old and half a new flood. `goto chain` carries the chain in 28 bits
 * (TC_ACT_EXT_VAL_MASK): k stays below 256.
 */
export const SPILL_PART_SHIFT = 20;
const PART_SHIFT = SPILL_PART_SHIFT;
const HASH_MASK = (1 << PART_SHIFT) - 1;

export function isSpillChain(chain: number): boolean {
  return chain >= 1 << PART_SHIFT;
}

/** FNV-1a over the text: a stable spread of chain numbers, not a security digest. */
function digest(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (h ^ (h >>> PART_SHIFT)) & HASH_MASK;
}

/** The parts of one action list, each within TC_MAX_ACTIONS once its goto is added. */
function parts(actions: readonly RuleAction[]): RuleAction[][] {
  const out: RuleAction[][] = [];
  let rest = actions;
  while (rest.length > TC_MAX_ACTIONS) {
    out.push(rest.slice(0, TC_MAX_ACTIONS - 1));
    rest = rest.slice(TC_MAX_ACTIONS - 1);
  }
  out.push([...rest]);
  return out;
}

/**
 * Every rule of a port's set with more than TC_MAX_ACTIONS actions, split over spill
 * chains (the rules of one port: spill chains are numbered per port). Rules that fit are
 * returned as they are. Pure and deterministic: the same rules give the same chains.
 */
export function spillRules(rules: readonly EswitchRule[]): EswitchRule[] {
  const out: EswitchRule[] = [];
  const taken = new Set<string>();
  for (const r of rules) {
    if (r.actions.length <= TC_MAX_ACTIONS) {
      out.push(r);
      continue;
    }
    const ps = parts(r.actions);
    // From the last part back: each part's goto names the chain of the part after it.
    let next: number | null = null;
    const spilled: EswitchRule[] = [];
    for (let k = ps.length - 1; k >= 1; k--) {
      const actions: RuleAction[] =
        next === null ? ps[k] : [...ps[k], { kind: 'goto', chain: next }];
      let chain = (k << PART_SHIFT) | digest(`${r.id}\n${k}\n${JSON.stringify(actions)}`);
      // Two spills of one port on one chain (a 1 in 10^6 digest clash): the next one up.
      while (taken.has(`${r.port} ${chain}`)) chain = (k << PART_SHIFT) | ((chain + 1) & HASH_MASK);
      taken.add(`${r.port} ${chain}`);
      spilled.push(
        catchAll({
          owner: r.owner,
          port: r.port,
          chain,
          actions,
          why: `${r.why} (part ${k + 1} of ${ps.length}, from ${r.id})`,
        }),
      );
      next = chain;
    }
    out.push({ ...r, actions: [...ps[0], { kind: 'goto', chain: next! }] });
    out.push(...spilled.reverse());
  }
  return out;
}

/** How many parts a rule of `n` actions is split into. */
export function spillParts(n: number): number {
  return n <= TC_MAX_ACTIONS ? 1 : 1 + Math.ceil((n - TC_MAX_ACTIONS) / (TC_MAX_ACTIONS - 1));
}

/**
 * The deepest split flood of a rule set when it takes more than MAX_SPILL_PARTS filters
 * (its frames would pass the kernel's goto limit and be dropped), else null.
 */
export function tooDeepSpill(
  rules: readonly EswitchRule[],
): { rule: EswitchRule; parts: number } | null {
  let deepest: EswitchRule | null = null;
  for (const r of rules) {
    if (isSpillChain(r.chain) && (!deepest || r.chain > deepest.chain)) deepest = r;
  }
  const parts = deepest ? (deepest.chain >>> PART_SHIFT) + 1 : 1;
  return deepest && parts > MAX_SPILL_PARTS ? { rule: deepest, parts } : null;
}
