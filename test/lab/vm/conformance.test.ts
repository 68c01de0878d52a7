// The shared driver conformance suite against the linux driver, inside the lab VM (booted
// with netdevsim or with the emulated igb). On the host it is skipped: it needs a real
// SR-IOV PF and root.
import { describe } from 'node:test';
import type { VfSettingKey } from '../../../src/model/index.js';
import { runDriverConformance } from '../../conformance/suite.js';
import { LAB, newDriver, sh } from './helpers.js';

/** `ip link set PF vf N …` for the fields the suite pokes. */
function ipArgs(field: VfSettingKey, value: unknown): string {
  switch (field) {
    case 'mac':
      return `mac ${value}`;
    case 'trust':
      return `trust ${value ? 'on' : 'off'}`;
    case 'macAntiSpoof':
    case 'vlanAntiSpoof':
      return `spoofchk ${value ? 'on' : 'off'}`;
    case 'vlans':
      return `vlan ${(value as number[])[0] ?? 0}`;
    case 'linkState':
      return `state ${value}`;
    default:
      throw new Error(`conformance hook: cannot poke ${field} through ip link`);
  }
}

function netdevOf(pf: string): string {
  const base =
    LAB === 'netdevsim' ? `/sys/bus/netdevsim/devices/${pf}` : `/sys/bus/pci/devices/${pf}`;
  return sh(`ls ${base}/net`).trim().split('\n')[0];
}

/**
 * A PF reset the driver is not told about. igb loses its VF settings over sriov_numvfs
 * 0→N like real NICs; netdevsim keeps them unless its VF table is reallocated, which
 * rewriting debugfs max_vfs does.
 */
function resetPf(pf: string): void {
  const dev =
    LAB === 'netdevsim' ? `/sys/bus/netdevsim/devices/${pf}` : `/sys/bus/pci/devices/${pf}`;
  const n = sh(`cat ${dev}/sriov_numvfs`).trim();
  const realloc =
    LAB === 'netdevsim'
      ? `m=$(cat /sys/kernel/debug/netdevsim/${pf}/max_vfs); echo $m > /sys/kernel/debug/netdevsim/${pf}/max_vfs;`
      : '';
  sh(`echo 0 > ${dev}/sriov_numvfs; ${realloc} echo ${n} > ${dev}/sriov_numvfs`);
}

if (LAB === 'netdevsim' || LAB === 'igb') {
  runDriverConformance(`linux (${LAB})`, async () => ({
    driver: newDriver(200),
    hooks: {
      resetPfBehindDriver: resetPf,
      pokeVf: (pf, vf, field, value) => {
        sh(`ip link set ${netdevOf(pf)} vf ${vf} ${ipArgs(field, value)}`);
      },
    },
  }));
} else {
  describe('driver conformance: linux', {
    skip: 'runs inside the lab VM (test/lab/run-lab.sh)',
  }, () => {});
}
