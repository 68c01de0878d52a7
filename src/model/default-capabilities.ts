import type { PfCapabilities } from './capabilities.js';
import { MAX_VFS_PER_PF, MTU_MAX } from './common.js';
import type { MainConfig, PfPolicy } from './config.js';
import { linuxCapabilities, pciSlotSwitchId } from './linux-capabilities.js';

/**
 * Capabilities each driver declares when nothing better is known: what `nicvisor validate`
 * checks against offline (it cannot ask a daemon), and the starting point the drivers
 * themselves refine from what they discover (sriov_totalvfs, link speed, NIC model).
 */

const SIM_UNSUPPORTED_PF_FIELDS: PfCapabilities['unsupportedPfFields'] = {
  flowControl: { reason: 'the sim uplink has no queues for 802.3x pause frames' },
};

/**
 * The simulated NIC enforces every VF field on frames, with generous but finite tables, in
 * legacy mode (its VEB) and in switchdev mode (representors, programmed with the compiled
 * eswitch rules, which express every field). Declared unsupported, so a policy using them
 * is refused rather than silently ignored: `flowControl` (its uplink has no queues for
 * pause frames). Two ports of one sim NIC can form a VF-LAG in every bond mode (lag.ts).
 * The sim driver uses this very object, so `nicvisor validate` offline and the daemon agree.
 */
export const SIM_CAPABILITIES: Omit<PfCapabilities, 'totalVfs' | 'linkSpeedMbps'> = {
  driver: 'sim',
  maxMtu: MTU_MAX,
  macsPerVf: 16,
  vlansPerVf: 64,
  macsPerPf: 2048,
  vlansPerPf: 4094,
  vlanProtos: ['802.1Q', '802.1ad'],
  eswitchModes: ['legacy', 'switchdev'],
  mailbox: true,
  mirroring: true,
  unsupportedVfFields: {},
  unsupportedPfFields: SIM_UNSUPPORTED_PF_FIELDS,
  lag: { modes: ['active-backup', 'balance-xor', '802.3ad'], vfLag: true },
  switchdev: {
    macsPerVf: 16,
    vlansPerVf: 64,
    mirroring: true,
    unsupportedVfFields: {},
    unsupportedPfFields: SIM_UNSUPPORTED_PF_FIELDS,
    maxRules: 65536,
  },
};
export const SIM_DEFAULT_TOTAL_VFS = 64;
export const SIM_DEFAULT_LINK_MBPS = 25000;

/** Offline, the real link speed is unknown: assume the fastest common port. */
export const LINUX_ASSUMED_LINK_MBPS = 100000;

/** Drivers with default capabilities; keep in step with src/drivers/registry.ts. */
export const KNOWN_DRIVERS = ['linux', 'sim'] as const;

function unknownDriver(driver: string): Error {
  return new Error(
    `unknown driver "${driver}": valid drivers are ${KNOWN_DRIVERS.join(', ')}; set "driver" in the main config to one of them`,
  );
}

/** `sim:nic0/1` → { nic: 'nic0', port: 1 }, or null when the id is not a sim PF id. */
export function parseSimPfId(id: string): { nic: string; port: number } | null {
  const m = /^sim:([A-Za-z0-9_-]{1,32})\/(\d+)$/.exec(id);
  return m ? { nic: m[1], port: Number(m[2]) } : null;
}

/** Every PF id the sim NIC of this config has, in order. */
export function simPfIds(config: MainConfig): string[] {
  const nics = config.sim?.nics ?? [{ name: 'nic0', ports: 2 }];
  return nics.flatMap((n) => Array.from({ length: n.ports }, (_, p) => `sim:${n.name}/${p}`));
}

/**
 * Default capabilities of one PF under the named driver, or null when that driver would
 * not discover this PF (a sim id that the sim NIC spec does not have). Throws for an unknown
 * driver, naming the valid ones.
 */
export function defaultCapabilities(
  driver: string,
  pf: PfPolicy,
  config?: MainConfig,
): PfCapabilities | null {
  if (driver === 'sim') {
    const id = parseSimPfId(pf.pf);
    if (!id) return null;
    const nics = config?.sim?.nics ?? [
      {
        name: 'nic0',
        ports: 2,
        totalVfs: SIM_DEFAULT_TOTAL_VFS,
        linkSpeedMbps: SIM_DEFAULT_LINK_MBPS,
      },
    ];
    const nic = nics.find((n) => n.name === id.nic);
    if (!nic || id.port >= nic.ports) return null;
    return {
      ...SIM_CAPABILITIES,
      totalVfs: nic.totalVfs,
      linkSpeedMbps: nic.linkSpeedMbps,
      switchId: nic.name,
    };
  }
  if (driver === 'linux') {
    if (!/^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$/.test(pf.pf)) return null;
    const totalVfs = pf.totalVfs ?? MAX_VFS_PER_PF;
    return linuxCapabilities({
      driver: undefined,
      totalVfs,
      linkSpeedMbps: LINUX_ASSUMED_LINK_MBPS,
      maxMtu: MTU_MAX,
      hasDevlinkEswitch: true,
      switchId: pciSlotSwitchId(pf.pf),
    });
  }
  throw unknownDriver(driver);
}

/** Default capabilities of every PF of a config that its driver would discover. */
export function defaultCapabilityMap(config: MainConfig): Map<string, PfCapabilities> {
  if (!(KNOWN_DRIVERS as readonly string[]).includes(config.driver))
    throw unknownDriver(config.driver);
  const out = new Map<string, PfCapabilities>();
  for (const pf of config.pfs) {
    const caps = defaultCapabilities(config.driver, pf, config);
    if (caps) out.set(pf.pf, caps);
  }
  return out;
}
