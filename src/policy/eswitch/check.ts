import { type EswitchRule, type EswitchRuleSet, ruleLabel } from '../../model/index.js';

/**
 * The structural promises of a rule set (model/eswitch.ts), checked: ids unique, every
 * port named exists, rules sharing a (port, chain, prio) have one protocol and the same
 * match keys with different values (mutually exclusive, so their order never matters),
 * every chain ends in exactly one catch-all, gotos lead to a higher chain that exists on
 * the same port, and every port has a chain 0. Returns every problem found.
 */
export function checkRuleSet(set: EswitchRuleSet): string[] {
  const problems: string[] = [];
  const ports = new Set(set.ports);
  const ids = new Set<string>();
  const chains = new Map<string, EswitchRule[]>();
  for (const r of set.rules) {
    if (ids.has(r.id)) problems.push(`${ruleLabel(r)}: id ${r.id} is used twice`);
    ids.add(r.id);
    for (const p of referencedPorts(r)) {
      if (!ports.has(p)) problems.push(`${ruleLabel(r)}: port ${p} is not a port of ${set.pf}`);
    }
    const key = `${r.port} ${r.chain}`;
    chains.set(key, [...(chains.get(key) ?? []), r]);
  }
  for (const rules of chains.values()) problems.push(...checkChain(rules, chains));
  for (const p of ports) {
    if (!chains.has(`${p} 0`)) problems.push(`port ${p} has no chain 0: its frames have no fate`);
  }
  return problems;
}

function referencedPorts(r: EswitchRule): string[] {
  const out = [r.port];
  for (const a of r.actions) if (a.kind === 'mirror' || a.kind === 'redirect') out.push(a.to);
  return out;
}

function matchKeys(r: EswitchRule): string {
  return Object.keys(r.match).sort().join(',');
}

function matchValues(r: EswitchRule): string {
  return JSON.stringify(Object.entries(r.match).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function isCatchAll(r: EswitchRule): boolean {
  return matchKeys(r) === 'protocol' && r.match.protocol === 'all';
}

function checkChain(rules: EswitchRule[], chains: Map<string, EswitchRule[]>): string[] {
  const problems: string[] = [];
  const byPrio = new Map<number, EswitchRule[]>();
  for (const r of rules) byPrio.set(r.prio, [...(byPrio.get(r.prio) ?? []), r]);
  for (const group of byPrio.values()) {
    const [first, ...rest] = group;
    const seen = new Set([matchValues(first)]);
    for (const r of rest) {
      if (r.match.protocol !== first.match.protocol || matchKeys(r) !== matchKeys(first)) {
        problems.push(`${ruleLabel(r)}: shares its prio with ${first.id} but matches other keys`);
      } else if (seen.has(matchValues(r))) {
        problems.push(`${ruleLabel(r)}: matches exactly what ${first.id} matches at the same prio`);
      }
      seen.add(matchValues(r));
    }
  }
  const last = Math.max(...rules.map((r) => r.prio));
  const ends = rules.filter(isCatchAll);
  const { port, chain } = rules[0];
  if (ends.length !== 1 || ends[0].prio !== last) {
    problems.push(
      `${port} chain ${chain}: must end in exactly one catch-all rule (${ends.length} found)`,
    );
  }
  for (const r of rules) {
    for (const a of r.actions) {
      if (a.kind !== 'goto') continue;
      if (a.chain <= r.chain)
        problems.push(`${ruleLabel(r)}: goto chain ${a.chain} does not lead to a higher chain`);
      else if (!chains.has(`${r.port} ${a.chain}`))
        problems.push(`${ruleLabel(r)}: goto chain ${a.chain}, which has no rules`);
    }
  }
  return problems;
}
