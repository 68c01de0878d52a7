import type { VfChange } from './netlink/link-request.js';

/** The `ip` command line doing the same as one VF change (for errors and logs). */
export function ipEquivalent(netdev: string, c: VfChange): string {
  const parts = ['ip link set', netdev, 'vf', String(c.vf)];
  if (c.mac !== undefined) parts.push('mac', c.mac);
  if (c.vlan !== undefined) {
    parts.push('vlan', String(c.vlan.vlan));
    if (c.vlan.qos) parts.push('qos', String(c.vlan.qos));
    if (c.vlan.proto) parts.push('proto', c.vlan.proto);
  }
  if (c.spoofchk !== undefined) parts.push('spoofchk', c.spoofchk ? 'on' : 'off');
  if (c.trust !== undefined) parts.push('trust', c.trust ? 'on' : 'off');
  if (c.linkState !== undefined) parts.push('state', c.linkState);
  if (c.rate !== undefined)
    parts.push('min_tx_rate', String(c.rate.min), 'max_tx_rate', String(c.rate.max));
  return parts.join(' ');
}

/** What to do about a refusal, by errno, for the VF attributes. */
export function fixFor(code: string, driver: string): string {
  switch (code) {
    case 'EOPNOTSUPP':
    case 'EPROTONOSUPPORT':
      return `the ${driver} driver cannot do this; remove the field from the policy`;
    case 'EINVAL':
      return 'use a value the driver accepts: unicast MAC, vlan 0-4094, qos 0-7, min_tx_rate ≤ max_tx_rate ≤ link speed, vf below numVfs';
    case 'ENODEV':
      return 'the PF went away (driver reload?); it is re-discovered on the next apply';
    case 'EPERM':
      return 'run nicvisor as root (CAP_NET_ADMIN)';
    default:
      return 'see dmesg for the PF driver';
  }
}
