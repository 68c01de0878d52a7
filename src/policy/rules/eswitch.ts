import type { EswitchRule, Problem } from '../../model/index.js';
import { desiredState } from '../desired.js';
import { compileEswitch } from '../eswitch/compile.js';
import { MAX_SPILL_PARTS, TC_MAX_ACTIONS, TC_MAX_GOTOS, tooDeepSpill } from '../eswitch/spill.js';
import { listSome, pfProblem, type Rule, type RuleContext } from './context.js';

/**
 * A PF in switchdev mode holds its whole policy as eswitch rules, and the NIC's flow table
 * is finite: the compiled rule set (without guest changes and the host interface, which
 * only add to it) must fit `switchdev.maxRules`. The VFs that need the most rules are named,
 * since they are where a smaller policy helps most.
 */
export const eswitchCapacity: Rule = (ctx, out) => {
  for (const pf of ctx.config.pfs) {
    const max = ctx.caps.get(pf.pf)?.switchdev?.maxRules;
    if (pf.eswitchMode !== 'switchdev') continue;
    const policies = (ctx.byPf.get(pf.pf) ?? []).map((s) => s.policy);
    const config = { ...ctx.config, pfs: [pf] };
    const input = desiredState(config, policies, new Map(), new Map()).eswitch?.[0];
    if (!input) continue;
    const rules = compileEswitch(input).rules;
    floodDepth(ctx, pf.pf, rules, out);
    if (max === undefined || rules.length <= max) continue;
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

/**
 * A flood longer than one TC filter is split over spill chains (policy/eswitch/spill.ts),
 * one `goto chain` each; the kernel drops a frame past 16 gotos, so a flood may take at
 * most MAX_SPILL_PARTS filters.
 */
function floodDepth(ctx: RuleContext, pfId: string, rules: EswitchRule[], out: Problem[]): void {
  const deep = tooDeepSpill(rules);
  if (!deep) return;
  const { rule: deepest, parts } = deep;
  out.push(
    pfProblem(ctx, pfId, {
      field: 'eswitchMode',
      value: parts,
      allowed: `a flood of at most ${MAX_SPILL_PARTS} TC filters (${TC_MAX_ACTIONS} actions each, ${TC_MAX_GOTOS} gotos per frame in the kernel)`,
      fix: 'put fewer VFs in one VLAN, turn off allowBroadcast/allowMulticast/allowUnknownUnicast on some, or mirror fewer of them',
      what: `a flood on port ${deepest.port} needs ${parts} chained TC filters (${deepest.why})`,
    }),
  );
}
