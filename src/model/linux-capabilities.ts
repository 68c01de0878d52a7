/**
 * What the linux driver can enforce, as one table both `nicvisor validate` (offline) and the
 * driver (online) derive their capabilities from, so the two never disagree on a limit of
 * the kernel's VF interface. Offline the PF's kernel driver is unknown: only what holds for
 * every driver is refused then, and per-driver limits (igb's 802.1ad, min rate, state) are
 * left to the daemon, which knows the NIC.
 */
import type { PfCapabilities } from './capabilities.js';
import { MTU_MAX, type VlanProto } from './common.js';

/** What a kernel PF driver accepts through `ip link set PF vf N …`. */
interface KernelDriverLimits {
  /** Used when the device has no `sriov_totalvfs` (or to cap it). */
  totalVfs?: number;
  vlanProtos: VlanProto[];
  /** Why `state auto|enable|disable` is refused, when it is. */
  noLinkState?: string;
  noMinTxRate?: string;
  noProto8021ad?: string;
  /** devlink eswitch switchdev. */
  switchdev: boolean;
}

const FULL: KernelDriverLimits = { vlanProtos: ['802.1Q', '802.1ad'], switchdev: false };
/** An unknown driver offline: it may be one with switchdev; the daemon will check. */
const ANY: KernelDriverLimits = { ...FULL, switchdev: true };

/**
 * Per kernel driver. igb and netdevsim were measured in the lab VM (lab README); ixgbe and
 * i40e are read from their ndo_set_vf_vlan / ndo_set_vf_bw in Linux 6.1 (EPROTONOSUPPORT for
 * a non-802.1Q protocol, EINVAL for a non-zero min rate), not measured. Other drivers get
 * the full VF API: the kernel's refusal then shows as an apply error with its errno.
 */
const KNOWN: Record<string, KernelDriverLimits> = {
  igb: {
    totalVfs: 7,
    vlanProtos: ['802.1Q'],
    noProto8021ad: 'igb refuses `vlan … proto 802.1ad` (EPROTONOSUPPORT)',
    noLinkState: 'igb refuses `state` (EOPNOTSUPP): the VF link always follows the PF',
    noMinTxRate: 'igb refuses `min_tx_rate` (EINVAL): it has no guaranteed rate',
    switchdev: false,
  },
  ixgbe: {
    totalVfs: 63,
    vlanProtos: ['802.1Q'],
    noProto8021ad: 'ixgbe refuses `vlan … proto 802.1ad` (EPROTONOSUPPORT)',
    noMinTxRate: 'ixgbe refuses `min_tx_rate` (EINVAL)',
    switchdev: false,
  },
  i40e: {
    totalVfs: 128,
    vlanProtos: ['802.1Q'],
    noProto8021ad: 'i40e refuses `vlan … proto 802.1ad` (EPROTONOSUPPORT)',
    noMinTxRate: 'i40e refuses `min_tx_rate` (EINVAL)',
    switchdev: false,
  },
  // Kernel default limit 4 VFs; the debugfs knob max_vfs raises it (read at discovery).
  netdevsim: { totalVfs: 4, vlanProtos: ['802.1Q', '802.1ad'], switchdev: true },
  mlx5_core: { ...FULL, switchdev: true },
  ice: { ...FULL, switchdev: true },
};

export function kernelDriverLimits(driver: string | undefined): KernelDriverLimits {
  return driver === undefined ? ANY : (KNOWN[driver] ?? FULL);
}

/**
 * The NIC of a PCI PF when the kernel gives no `phys_switch_id` (legacy mode on mlx5): the
 * ports of one NIC are functions of one PCI slot (`0000:08:00.0` → `pci:0000:08:00`).
 */
export function pciSlotSwitchId(pciAddr: string): string | undefined {
  const m = /^([0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2})\.[0-7]$/.exec(pciAddr);
  return m ? `pci:${m[1].toLowerCase()}` : undefined;
}

export interface CapabilityInputs {
  /** The PF's kernel driver (`igb`, `mlx5_core`); undefined offline, where it is unknown. */
  driver: string | undefined;
  totalVfs: number;
  linkSpeedMbps: number;
  maxMtu: number | undefined;
  /** The devlink family exists and the device answers eswitch get. */
  hasDevlinkEswitch: boolean;
  /** The NIC the PF is a port of (`phys_switch_id`, else its PCI slot); undefined offline. */
  switchId?: string;
}

/**
 * Hardware VF-LAG on linux: the member PFs' netdevs (their uplink representors) are bonded
 * and the compiled uplink rules of both members go on the bond's clsact, their VFs'
 * deliveries to the wire (`mirred egress redirect`) to the bond, as mlx5 with OVS does.
 * Without switchdev there are no rules to point at the bond.
 */
function lagCapabilities(
  driver: string | undefined,
  switchdev: boolean,
): NonNullable<PfCapabilities['lag']> {
  const modes: NonNullable<PfCapabilities['lag']>['modes'] = [
    'active-backup',
    'balance-xor',
    '802.3ad',
  ];
  if (switchdev) {
    return {
      modes,
      vfLag: true,
      vfLagFirstMemberOnly:
        'the kernel keeps one eswitch per PF: the linux driver points the first member’s rules at the bond and does not merge the second member’s eswitch into it, so frames from the wire (broadcast, unknown unicast) reach the first member’s VFs only',
    };
  }
  return {
    modes,
    vfLag: false,
    vfLagReason: `${driver ?? 'the kernel driver'} has no devlink eswitch switchdev mode, which hardware VF-LAG needs (the VFs' rules must point at the bond); pair VFs with haPeer instead`,
  };
}

/**
 * What nicvisor can enforce on a PF through the kernel. Common to every driver: the kernel
 * has no per-VF broadcast / multicast / unknown-unicast switch, no NIC mirroring in legacy
 * mode, no per-VF traffic-class shares, no PF-side secondary MAC filters, and no way to see
 * a guest's mailbox requests; one `spoofchk` covers both MAC and VLAN anti-spoof, and a
 * port VLAN is always stripped/inserted.
 */
export function linuxCapabilities(c: CapabilityInputs): PfCapabilities {
  const k = kernelDriverLimits(c.driver);
  const switchdev = k.switchdev && c.hasDevlinkEswitch;
  const caps: PfCapabilities = {
    driver: c.driver === undefined ? 'linux' : `linux/${c.driver}`,
    totalVfs: c.totalVfs,
    linkSpeedMbps: c.linkSpeedMbps,
    maxMtu: Math.min(c.maxMtu ?? 1500, MTU_MAX),
    macsPerVf: 1,
    vlansPerVf: 1,
    macsPerPf: c.totalVfs,
    vlansPerPf: c.totalVfs,
    vlanProtos: k.vlanProtos,
    eswitchModes: switchdev ? ['legacy', 'switchdev'] : ['legacy'],
    mailbox: false,
    mirroring: false,
    unsupportedVfFields: {
      guestMacs: {
        only: 0,
        reason: 'the kernel has no PF-side call to add MAC filters to a VF (only its one MAC)',
      },
      stripOuterTag: {
        only: true,
        reason: 'a port VLAN (`ip link set PF vf N vlan V`) is always stripped and inserted',
      },
      vlanAntiSpoof: {
        sameAs: 'macAntiSpoof',
        reason: 'the kernel has one `spoofchk` per VF covering MAC and VLAN anti-spoof',
      },
      allowBroadcast: { only: true, reason: 'the kernel has no per-VF broadcast switch' },
      allowMulticast: { only: true, reason: 'the kernel has no per-VF multicast switch' },
      allowUnknownUnicast: {
        only: false,
        reason: 'the kernel has no per-VF unknown-unicast switch (use `trust` for promiscuous)',
      },
      trafficShares: { only: [], reason: 'the kernel has no per-VF traffic-class shares' },
      mirror: { reason: 'no NIC mirroring through the kernel in legacy mode' },
    },
    unsupportedPfFields: {
      loopback: { only: true, reason: 'the kernel has no switch for the NIC-internal VEB' },
      flowControl: { only: 'none', reason: 'pause frames are not programmed by the linux driver' },
      qos: { reason: 'DCB/ETS traffic classes are not programmed by the linux driver' },
    },
    lag: lagCapabilities(c.driver, switchdev),
  };
  if (c.switchId !== undefined) caps.switchId = c.switchId;
  if (k.noProto8021ad)
    caps.unsupportedVfFields.vlanProto = { only: '802.1Q', reason: k.noProto8021ad };
  if (k.noLinkState) caps.unsupportedVfFields.linkState = { only: 'auto', reason: k.noLinkState };
  if (k.noMinTxRate) caps.unsupportedVfFields.minTxRate = { only: 0, reason: k.noMinTxRate };
  if (switchdev) caps.switchdev = switchdevCapabilities(caps);
  if (!switchdev) {
    caps.unsupportedPfFields.eswitchMode = {
      only: 'legacy',
      reason: `${c.driver ?? 'the kernel driver'} has no devlink eswitch switchdev mode`,
    };
  }
  return caps;
}

/**
 * In switchdev mode the linux driver installs the compiled eswitch rules (TC flower on the
 * representors), which express VLAN trunks, QinQ, MAC allow-lists, both anti-spoof checks,
 * the flood flags, loopback and mirrors. Still not programmed: per-class shares, DCB/ETS,
 * pause frames; and VF attributes a kernel driver lacks stay refused as in legacy.
 * The rule limit is the kernel's software datapath's (none to speak of); a NIC that cannot
 * offload a rule runs it in software, which `show rules` reports per rule (`in_hw`).
 */
function switchdevCapabilities(legacy: PfCapabilities): NonNullable<PfCapabilities['switchdev']> {
  const vf = { ...legacy.unsupportedVfFields };
  for (const f of [
    'guestMacs',
    'stripOuterTag',
    'vlanAntiSpoof',
    'allowBroadcast',
    'allowMulticast',
    'allowUnknownUnicast',
    'mirror',
  ] as const) {
    delete vf[f];
  }
  vf.trafficShares = { only: [], reason: 'per-class shares are not compiled into eswitch rules' };
  vf.minTxRate = {
    only: 0,
    reason:
      'in switchdev mode the kernel takes VF rates as devlink rate objects only (ip link set … vf N min_tx_rate is refused), which nicvisor does not program',
  };
  const pf = { ...legacy.unsupportedPfFields };
  delete pf.loopback;
  return {
    macsPerVf: 64,
    vlansPerVf: 256,
    mirroring: true,
    unsupportedVfFields: vf,
    unsupportedPfFields: pf,
    maxRules: 65536,
  };
}
