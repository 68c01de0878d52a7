import type {
  EswitchPort,
  EswitchRule,
  RuleAction,
  RuleMatch,
  RuleOwner,
} from '../../model/index.js';
import type { VfView } from './view.js';

/** Prios within a chain: specific matches from PRIO_FIRST up, the catch-all last. */
export const PRIO_FIRST = 10;
export const PRIO_CATCH_ALL = 0xffff;

/**
 * The prio of a rule kind, offset by its protocol. TC keeps one filter instance per
 * (chain, prio) and refuses a filter of another protocol there (EINVAL), so a prio always
 * belongs to one protocol, in every rule set the compiler makes: a new rule can then be
 * installed beside the old one it replaces, whatever the old one matched.
 */
export function prioFor(base: number, protocol: RuleMatch['protocol']): number {
  return base + (protocol === '802.1Q' ? 1 : protocol === '802.1ad' ? 2 : 0);
}

export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';
/** The group bit: every multicast (and broadcast) destination has it. */
export const MULTICAST_MAC = '01:00:00:00:00:00/01:00:00:00:00:00';

export const PF_OWNER: RuleOwner = 'pf';

export function ownerOf(v: VfView): RuleOwner {
  return { vf: v.vf, name: v.name };
}

/** The parts of a rule a builder chooses; id is `port/chain/slug`. */
export interface RuleSpec {
  owner: RuleOwner;
  port: EswitchPort;
  chain: number;
  prio: number;
  slug: string;
  match?: Partial<RuleMatch>;
  actions: RuleAction[];
  why: string;
  counter?: EswitchRule['counter'];
}

export function rule(s: RuleSpec): EswitchRule {
  const r: EswitchRule = {
    id: `${s.port}/${s.chain}/${s.slug}`,
    owner: s.owner,
    port: s.port,
    chain: s.chain,
    prio: s.prio,
    match: { protocol: 'all', ...s.match },
    actions: s.actions,
    why: s.why,
  };
  if (s.counter) r.counter = s.counter;
  return r;
}

/** The last rule of a chain: matches every frame. */
export function catchAll(s: Omit<RuleSpec, 'prio' | 'slug' | 'match'>): EswitchRule {
  return rule({ ...s, prio: PRIO_CATCH_ALL, slug: 'end' });
}

/** `vf1, vf4, uplink` — at most `n` names, then "and K more". */
export function listPorts(ports: readonly string[], n = 6): string {
  if (ports.length === 0) return 'nobody';
  if (ports.length <= n) return ports.join(', ');
  return `${ports.slice(0, n).join(', ')} and ${ports.length - n} more`;
}
