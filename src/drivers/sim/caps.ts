import { type PfCapabilities, SIM_CAPABILITIES } from '../../model/index.js';
import type { SimPf } from './pf.js';

export const SIM_DRIVER = SIM_CAPABILITIES.driver;

/** What the simulated NIC enforces (see SIM_CAPABILITIES), sized to this PF. */
export function simCapabilities(pf: SimPf): PfCapabilities {
  return {
    ...SIM_CAPABILITIES,
    totalVfs: pf.spec.totalVfs,
    linkSpeedMbps: pf.spec.linkSpeedMbps,
    switchId: pf.spec.nic,
  };
}
