import {
  type EswitchRule,
  type ObservedRule,
  type RuleDiff,
  ruleLabel,
} from '../../../model/index.js';
import { TC_MAX_ACTIONS } from '../../../policy/eswitch/spill.js';
import { type CompiledRule, compileRule, portIndex } from './compiled.js';

/** The installed rules of one PF, by id, and per port the chains in prio order. */
export class RuleTable {
  private readonly byId = new Map<string, CompiledRule>();
  /** Port index (VF index, TO_UPLINK, TO_HOST) → chain → rules by ascending prio. */
  ports = new Map<number, Map<number, CompiledRule[]>>();

  get size(): number {
    return this.byId.size;
  }

  clear(): void {
    this.byId.clear();
    this.ports = new Map();
  }

  /** Why the sim cannot install a rule, or null. */
  private refusal(r: EswitchRule, numVfs: number): string | null {
    const targets = r.actions.flatMap((a) =>
      a.kind === 'mirror' || a.kind === 'redirect' ? [a.to] : [],
    );
    for (const p of [r.port, ...targets]) {
      const i = portIndex(p);
      if (i >= numVfs)
        return `port ${p} does not exist: the PF has ${numVfs} VFs (vf0-vf${numVfs - 1})`;
    }
    // The kernel parses TCA_ACT_MAX_PRIO actions and drops the rest; the sim refuses them.
    if (r.actions.length > TC_MAX_ACTIONS)
      return `${r.actions.length} actions, but a TC filter holds at most ${TC_MAX_ACTIONS}`;
    // Gotos only lead to higher chains, so a frame's walk through the chains always ends.
    const back = r.actions.find((a) => a.kind === 'goto' && a.chain <= r.chain);
    if (back)
      return `goto chain ${(back as { chain: number }).chain} does not lead past chain ${r.chain}`;
    return null;
  }

  /**
   * Apply a diff in its documented order; in the sim every step is atomic, so the order only
   * decides what a refused rule leaves behind. Returns the refused rules with reasons.
   */
  apply(diff: RuleDiff, numVfs: number, nowNs: number): { rule: EswitchRule; error: string }[] {
    const failures: { rule: EswitchRule; error: string }[] = [];
    for (const r of [...diff.add, ...diff.change]) {
      const why = this.refusal(r, numVfs);
      if (why) failures.push({ rule: r, error: `${ruleLabel(r)}: ${why}` });
      else this.byId.set(r.id, compileRule(r, nowNs));
    }
    for (const r of diff.remove) {
      const have = this.byId.get(r.id)?.rule;
      // A rule moved to another place keeps its id: remove only the one at the old place.
      if (have && have.port === r.port && have.chain === r.chain && have.prio === r.prio) {
        this.byId.delete(r.id);
      }
    }
    this.index();
    return failures;
  }

  private index(): void {
    const ports = new Map<number, Map<number, CompiledRule[]>>();
    for (const c of this.byId.values()) {
      const p = portIndex(c.rule.port);
      const chains = ports.get(p) ?? new Map<number, CompiledRule[]>();
      ports.set(p, chains);
      const list = chains.get(c.rule.chain);
      if (list) list.push(c);
      else chains.set(c.rule.chain, [c]);
    }
    for (const chains of ports.values())
      for (const l of chains.values()) l.sort((a, b) => a.rule.prio - b.rule.prio);
    this.ports = ports;
  }

  /**
   * The rules with their counters. The sim is the NIC: its eswitch evaluates every rule it
   * holds, none is left to a software datapath on the host, so `inHw` is true.
   */
  observe(): ObservedRule[] {
    return [...this.byId.values()].map((c) => ({
      ...c.rule,
      packets: c.packets,
      bytes: c.bytes,
      drops: c.drops,
      inHw: true,
    }));
  }
}
