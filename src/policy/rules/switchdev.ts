import { capabilitiesIn, type PfCapabilities } from '../../model/index.js';
import { pfOf, type RuleContext } from './context.js';

/**
 * What switchdev mode would lift. A PF in legacy mode whose driver programs the eswitch in
 * switchdev mode (it declares `switchdev` limits) gets those limits there, so a refusal the
 * switchdev limits would not make says how to get the field: put the PF in switchdev mode.
 */
export function switchdevCaps(ctx: RuleContext, pfId: string): PfCapabilities | null {
  const caps = ctx.caps.get(pfId);
  const pf = pfOf(ctx, pfId);
  if (!caps?.switchdev || !pf || pf.eswitchMode === 'switchdev') return null;
  if (!caps.eswitchModes.includes('switchdev')) return null;
  return capabilitiesIn(caps, 'switchdev');
}

/** The fix that lifts a legacy-mode limit, naming the PF. */
export function switchdevFix(pfId: string): string {
  return `put the PF in switchdev mode (eswitchMode: "switchdev" in the PF policy of ${pfId})`;
}
