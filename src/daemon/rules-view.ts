import {
  type ObservedPf,
  type ObservedRule,
  type VfPolicy,
  type VfRulesView,
  vfPort,
} from '../model/index.js';
import { sortRules } from '../policy/eswitch/compile.js';

function deliversTo(r: ObservedRule, port: string): boolean {
  return r.actions.some((a) => (a.kind === 'mirror' || a.kind === 'redirect') && a.to === port);
}

/**
 * The rules that decide one VF's traffic, from a fresh observation of its PF: those on its
 * port (everything it sends meets them), then those on other ports that send it frames.
 */
export function vfRulesView(policy: VfPolicy, pf: ObservedPf | undefined): VfRulesView {
  const port = vfPort(policy.vf);
  const base = { name: policy.name, pf: policy.pf, vf: policy.vf, port };
  const mode = pf?.eswitchMode ?? 'legacy';
  if (!pf?.eswitch) {
    const note =
      mode === 'legacy'
        ? `${policy.pf} is in legacy mode: its VEB switches by MAC and VLAN filters, not rules; put the PF in switchdev mode (eswitchMode: "switchdev") to see rules`
        : `driver ${pf?.driver ?? 'unknown'} reports no eswitch rules for ${policy.pf}`;
    return { ...base, eswitchMode: mode, rules: [], note };
  }
  const own = sortRules(pf.eswitch.rules.filter((r) => r.port === port));
  const toIt = sortRules(pf.eswitch.rules.filter((r) => r.port !== port && deliversTo(r, port)));
  return { ...base, eswitchMode: mode, rules: [...own, ...toIt], note: null };
}
