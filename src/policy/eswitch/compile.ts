import {
  type DesiredPf,
  type DesiredVf,
  type EswitchPort,
  type EswitchRule,
  type EswitchRuleSet,
  vfPort,
} from '../../model/index.js';
import { CHAIN_SOURCE, emittedClasses, pfClasses } from './classes.js';
import { classRules, dispatchRules, macOwners, type SwitchView } from './forward.js';
import { groupClasses } from './groups.js';
import { catchAll, PF_OWNER } from './rule.js';
import { sourceRules } from './source.js';
import { spillRules } from './spill.js';
import { type HostPort, hostView, type VfView, vfView } from './view.js';

/** What the compiler needs of one PF: its desired state and that of every VF on it. */
export interface EswitchInput {
  pf: DesiredPf;
  vfs: DesiredVf[];
}

/** A VF without a policy on a switchdev PF is isolated: nicvisor owns the whole eswitch. */
function isolated(vf: number): EswitchRule {
  return catchAll({
    owner: PF_OWNER,
    port: vfPort(vf),
    chain: CHAIN_SOURCE,
    actions: [{ kind: 'drop' }],
    why: `vf${vf} has no policy: nothing it sends is switched`,
  });
}

/**
 * The rules of one sending port: a VF's own checks, then dispatch and one chain per class
 * it can emit. The uplink and the host (trusted) dispatch straight from chain 0.
 */
function portRules(sw: SwitchView, port: EswitchPort, src: VfView | null): EswitchRule[] {
  const vf = src !== null && port !== 'host' ? src : null;
  const classes = vf ? emittedClasses(vf, sw.classes) : sw.classes;
  const groups = groupClasses(sw.ports, src, classes);
  const own = vf ? sourceRules(vf) : [];
  const dispatch = vf
    ? dispatchRules(sw, port, vf, groups)
    : dispatchRules(sw, port, src, groups, CHAIN_SOURCE);
  const wired = src !== null && !sw.loopback;
  const forwarding = wired ? [] : groups.flatMap((g) => classRules(sw, port, src, g));
  // A flood to more ports than a TC filter has actions for goes on in spill chains.
  return spillRules([...own, ...dispatch, ...forwarding]);
}

/**
 * The complete rule set of a PF's eswitch from its desired state, that of its VFs (as
 * desiredState() computes them, guest changes included) and the host interface the driver
 * reports (absent: the host is no port of the switch). Pure; the same input gives the same
 * rules with the same ids, so a diff against the installed set touches only what moved.
 * Rules are ordered by port (uplink, host, then VFs by index), chain and prio.
 */
export function compileEswitch(input: EswitchInput, host?: HostPort): EswitchRuleSet {
  const { pf, vfs } = input;
  const byIndex = new Map<number, VfView>();
  for (const d of vfs) {
    if (d.pf === pf.id && d.vf < pf.numVfs && !byIndex.has(d.vf)) byIndex.set(d.vf, vfView(d));
  }
  const hostPort = host ? hostView(host, pf.mtu) : null;
  const views = [...byIndex.values()].sort((a, b) => a.vf - b.vf);
  const receivers = hostPort ? [...views, hostPort] : views;
  const sw: SwitchView = {
    ports: receivers,
    classes: pfClasses(receivers),
    owners: macOwners(receivers),
    loopback: pf.loopback,
  };
  const ports: EswitchPort[] = ['uplink'];
  const rules = portRules(sw, 'uplink', null);
  if (hostPort) {
    ports.push('host');
    rules.push(...portRules(sw, 'host', hostPort));
  }
  for (let i = 0; i < pf.numVfs; i++) {
    const port = vfPort(i);
    ports.push(port);
    const v = byIndex.get(i);
    rules.push(...(v ? portRules(sw, port, v) : [isolated(i)]));
  }
  return { pf: pf.id, ports, rules: sortRules(rules) };
}

function portRank(p: EswitchPort): number {
  return p === 'uplink' ? 0 : p === 'host' ? 1 : 2 + Number(p.slice(2));
}

/** Port (uplink, host, vf0, vf1, …), then chain, prio and id: the order rules print in. */
export function sortRules<T extends EswitchRule>(rules: T[]): T[] {
  return rules.sort(
    (a, b) =>
      portRank(a.port) - portRank(b.port) ||
      a.chain - b.chain ||
      a.prio - b.prio ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}
