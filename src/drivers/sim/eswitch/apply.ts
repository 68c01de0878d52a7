import type { EswitchOutcome, RuleDiff } from '../../../model/index.js';
import type { SimNic } from '../nic.js';
import type { SimPf } from '../pf.js';
import { SimEswitch } from './switch.js';

/** The eswitch mode change: representors (and an empty rule table) appear or go. */
export function setSimEswitchMode(pf: SimPf, mode: 'legacy' | 'switchdev'): void {
  if (mode === pf.eswitchMode) return;
  pf.eswitchMode = mode;
  pf.eswitch = mode === 'switchdev' ? new SimEswitch(pf) : null;
}

/** Install one PF's rule diff; every refused rule is reported, the others stay in. */
export function applyRuleDiff(nic: SimNic, diff: RuleDiff): EswitchOutcome {
  let pf: SimPf;
  try {
    pf = nic.pf(diff.pf);
  } catch (err) {
    const error = (err as Error).message;
    return {
      diff,
      status: 'failed',
      failures: [...diff.add, ...diff.change].map((rule) => ({ rule, error })),
    };
  }
  const sw = pf.eswitch instanceof SimEswitch ? pf.eswitch : null;
  if (sw === null) {
    const error = `${pf.id} is in legacy mode and has no eswitch rules; put the PF in switchdev mode (eswitchMode: "switchdev" in its PF policy)`;
    return {
      diff,
      status: 'failed',
      failures: [...diff.add, ...diff.change].map((rule) => ({ rule, error })),
    };
  }
  const failures = sw.apply(diff);
  return failures.length === 0 ? { diff, status: 'done' } : { diff, status: 'failed', failures };
}

/** What observe() reports of a PF's eswitch: nothing in legacy mode. */
export function observeEswitch(pf: SimPf) {
  if (!(pf.eswitch instanceof SimEswitch)) return {};
  const ports = ['uplink', 'host', ...pf.vfs.map((v) => `vf${v.index}`)];
  const { mac, vlans, promisc, allmulti } = pf.hostConfig;
  return {
    eswitch: { pf: pf.id, ports, rules: pf.eswitch.table.observe() },
    host: { mac, vlans: [...vlans], promisc, allmulti },
  };
}

/** New VFs have new representors: the rules of the old ones are gone, as in the kernel. */
export function forgetRules(pf: SimPf): void {
  if (pf.eswitch instanceof SimEswitch) pf.eswitch.table.clear();
}
