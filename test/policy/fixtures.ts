import {
  defaultCapabilityMap,
  MainConfig,
  type MainConfigInput,
  type PfCapabilities,
  type Problem,
  type VfPolicyInput,
} from '../../src/model/index.js';
import { type Sourced, type ValidationResult, validate } from '../../src/policy/validate.js';

export const PF0 = 'sim:nic0/0';
export const PF1 = 'sim:nic0/1';
export const MAIN_FILE = '/etc/nicvisor/nicvisor.json';

/** A valid main config: the sim NIC, two PFs with 8 VFs each. */
export function mainInput(patch: Partial<MainConfigInput> = {}): MainConfigInput {
  return {
    driver: 'sim',
    pfs: [
      { pf: PF0, numVfs: 8 },
      { pf: PF1, numVfs: 8 },
    ],
    ...patch,
  };
}

let nextMac = 1;
/** A fresh locally administered unicast MAC. */
export function mac(n = nextMac++): string {
  const hex = n.toString(16).padStart(6, '0');
  return `02:00:00:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
}

export function vf(name: string, pf: string, index: number, extra: Partial<VfPolicyInput> = {}) {
  return { name, pf, vf: index, ...extra } as VfPolicyInput;
}

export function sourced(policies: VfPolicyInput[]): Sourced[] {
  return policies.map((p) => ({ file: `/var/lib/nicvisor/vfs/${p.name}.json`, data: p }));
}

export function capsFor(
  main: MainConfigInput,
  patch: Partial<PfCapabilities> = {},
): Map<string, PfCapabilities> {
  const caps = defaultCapabilityMap(MainConfig.parse(main));
  // A patched driver stands for another NIC: it programs no eswitch unless the patch says so.
  const legacyOnly = Object.keys(patch).length > 0 ? { switchdev: undefined } : {};
  for (const [k, v] of caps) caps.set(k, { ...v, ...legacyOnly, ...patch });
  return caps;
}

export function run(
  policies: VfPolicyInput[],
  main: MainConfigInput = mainInput(),
  capsPatch: Partial<PfCapabilities> = {},
): ValidationResult {
  return validate({ file: MAIN_FILE, data: main }, sourced(policies), capsFor(main, capsPatch));
}

export function problems(
  policies: VfPolicyInput[],
  main: MainConfigInput = mainInput(),
  capsPatch: Partial<PfCapabilities> = {},
): Problem[] {
  return run(policies, main, capsPatch).problems;
}

export function vfFile(name: string): string {
  return `/var/lib/nicvisor/vfs/${name}.json`;
}
