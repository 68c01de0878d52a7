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
import { catchAll, PF_OWNER } from './rule.js';
import { sourceRules } from './source.js';
import { type VfView, vfView } from './view.js';

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

/** The rules of one sending port: its own checks, then dispatch and one chain per class. */
function portRules(sw: SwitchView, port: EswitchPort, src: VfView | null): EswitchRule[] {
  const classes = src ? emittedClasses(src, sw.classes) : sw.classes;
  const own = src ? sourceRules(src) : [];
  const dispatch = src
    ? dispatchRules(sw, port, src, classes)
    : dispatchRules(sw, port, null, classes, CHAIN_SOURCE);
  const forwarding =
    src && !sw.loopback ? [] : classes.flatMap((c) => classRules(sw, port, src, c));
  return [...own, ...dispatch, ...forwarding];
}

/**
 * The complete rule set of a PF's eswitch from its desired state and that of its VFs (as
 * desiredState() computes them, guest changes included). Pure; the same input gives the
 * same rules with the same ids, so a diff against the installed set touches only what moved.
 * Rules are ordered by port (uplink, then VFs by index), chain and prio.
 */
export function compileEswitch(pf: DesiredPf, vfs: readonly DesiredVf[]): EswitchRuleSet {
  const byIndex = new Map<number, VfView>();
  for (const d of vfs) {
    if (d.pf === pf.id && d.vf < pf.numVfs && !byIndex.has(d.vf)) byIndex.set(d.vf, vfView(d));
  }
  const views = [...byIndex.values()].sort((a, b) => a.vf - b.vf);
  const sw: SwitchView = {
    vfs: views,
    classes: pfClasses(views),
    owners: macOwners(views),
    loopback: pf.loopback,
  };
  const ports: EswitchPort[] = ['uplink'];
  const rules = portRules(sw, 'uplink', null);
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
export function sortRules(rules: EswitchRule[]): EswitchRule[] {
  return rules.sort(
    (a, b) =>
      portRank(a.port) - portRank(b.port) ||
      a.chain - b.chain ||
      a.prio - b.prio ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}
