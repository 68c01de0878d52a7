import { desiredState } from '../desired.js';
import { compileEswitch } from '../eswitch/compile.js';
import { listSome, pfProblem, type Rule } from './context.js';

/**
 * A PF in switchdev mode holds its whole policy as eswitch rules, and the NIC's flow table
 * is finite: the compiled rule set (without guest changes and the host interface, which
 * only add to it) must fit `switchdev.maxRules`. The VFs that need the most rules are named,
 * since they are where a smaller policy helps most.
 */
export const eswitchCapacity: Rule = (ctx, out) => {
  for (const pf of ctx.config.pfs) {
    const max = ctx.caps.get(pf.pf)?.switchdev?.maxRules;
    if (pf.eswitchMode !== 'switchdev' || max === undefined) continue;
    const policies = (ctx.byPf.get(pf.pf) ?? []).map((s) => s.policy);
    const config = { ...ctx.config, pfs: [pf] };
    const input = desiredState(config, policies, new Map(), new Map()).eswitch?.[0];
    if (!input) continue;
    const rules = compileEswitch(input).rules;
    if (rules.length <= max) continue;
    const perVf = new Map<string, number>();
    for (const r of rules) {
      const name = r.owner === 'pf' ? null : r.owner.name;
      if (name) perVf.set(name, (perVf.get(name) ?? 0) + 1);
    }
    const top = [...perVf].sort((a, b) => b[1] - a[1]).map(([n, k]) => `${n} (${k})`);
    out.push(
      pfProblem(ctx, pf.pf, {
        field: 'eswitchMode',
        value: rules.length,
        allowed: `at most ${max} eswitch rules`,
        fix: 'give VFs fewer VLANs and MACs, turn on vlanAntiSpoof (a VF then only reaches its own VLANs), or move VFs to another PF',
        what: `its policy compiles to ${rules.length} eswitch rules, more than the ${max} the NIC holds; most rules: ${listSome(top, 3)}`,
      }),
    );
  }
};
