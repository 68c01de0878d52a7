import { MTU_MAX, type PfCapabilities } from '../../model/index.js';
import type { SimPf } from './pf.js';
import { MACS_PER_PF, MACS_PER_VF, VLANS_PER_PF, VLANS_PER_VF } from './settings.js';

export const SIM_DRIVER = 'sim';

/**
 * What the simulated NIC enforces: every VF field, on frames. Declared unsupported (so a
 * policy using them is refused rather than silently ignored):
 * - `switchdev`: the sim has no representor ports, only the legacy VEB;
 * - `flowControl`: the sim's uplink has no queues, so pause frames would mean nothing;
 * - `lag`: VF-LAG is designed but not built.
 */
export function simCapabilities(pf: SimPf): PfCapabilities {
  return {
    driver: SIM_DRIVER,
    totalVfs: pf.spec.totalVfs,
    linkSpeedMbps: pf.spec.linkSpeedMbps,
    maxMtu: MTU_MAX,
    macsPerVf: MACS_PER_VF,
    vlansPerVf: VLANS_PER_VF,
    macsPerPf: MACS_PER_PF,
    vlansPerPf: VLANS_PER_PF,
    vlanProtos: ['802.1Q', '802.1ad'],
    eswitchModes: ['legacy'],
    mailbox: true,
    mirroring: true,
    unsupportedVfFields: {},
    unsupportedPfFields: {
      eswitchMode: { reason: 'the sim NIC has no representor ports (switchdev)', only: 'legacy' },
      flowControl: { reason: 'the sim uplink has no queues for 802.3x pause frames' },
      lag: { reason: 'VF-LAG is not built yet' },
    },
  };
}
