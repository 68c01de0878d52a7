import type { PlanStep, StepOutcome } from '../../../model/index.js';
import { applyPfStep, type PfApplyContext } from '../apply-pf.js';
import type { PfEntry } from '../pf-registry.js';

type ModeStep = Extract<PlanStep, { kind: 'setEswitchMode' }>;

/**
 * An eswitch mode change in place, in the order the PF's kernel driver needs, then a wait
 * for readiness (every VF's representor listed by devlink) rather than a sleep; on any
 * failure the PF goes back to legacy mode, and its VFs as they were.
 *
 * - mlx5_core: the VFs exist but are unbound from their driver while the mode changes
 *   (NVIDIA's switchdev guide), then bound again.
 * - ice: switchdev needs no VFs at the time of the change (E810 guide: "switchdev before
 *   VFs"): they are removed and created again afterwards.
 * - netdevsim and others: changed as they are (the lab: netdevsim takes it either way).
 */
export async function changeEswitchMode(
  ctx: PfApplyContext,
  step: ModeStep,
  awaitRepresentors: (e: PfEntry, n: number) => Promise<boolean>,
): Promise<StepOutcome> {
  const { sys } = ctx.entry;
  const name = `PF ${sys.id} (${sys.netdev})`;
  const numVfs = await ctx.sysfs.readNumVfs(sys);
  const vfs = sys.bus === 'pci' ? await ctx.sysfs.listVfs(sys) : [];
  const bound = vfs.filter((v) => v.driver);
  const around = async (what: () => Promise<StepOutcome>): Promise<StepOutcome> => {
    if (sys.driver === 'mlx5_core') for (const v of bound) await ctx.sysfs.unbindVf(v.pciAddr);
    if (sys.driver === 'ice' && numVfs > 0) await ctx.sysfs.setNumVfs(sys, 0);
    try {
      return await what();
    } finally {
      if (sys.driver === 'ice' && numVfs > 0) await ctx.sysfs.setNumVfs(sys, numVfs);
      if (sys.driver === 'mlx5_core') for (const v of bound) await ctx.sysfs.probeVf(v.pciAddr);
    }
  };
  try {
    const outcome = await around(() => applyPfStep(ctx, step));
    if (outcome.status !== 'done' || step.to !== 'switchdev' || numVfs === 0) return outcome;
    const fresh = { ...ctx.entry, eswitch: step.to };
    if (await awaitRepresentors(fresh, numVfs)) return outcome;
    await around(() => applyPfStep(ctx, { ...step, from: step.to, to: 'legacy' }));
    return {
      step,
      status: 'failed',
      error: `${name}: switchdev mode set, but not every one of its ${numVfs} VFs got a representor in time (devlink port show); rolled back to legacy mode`,
    };
  } catch (e) {
    if (step.to === 'switchdev') {
      await ctx.devlink.setEswitchMode(ctx.entry.devlink, 'legacy').catch(() => undefined);
    }
    const why = e instanceof Error ? e.message : String(e);
    return {
      step,
      status: 'failed',
      error: `${name}: eswitch mode ${step.to}: ${why}; left in legacy mode`,
    };
  }
}
