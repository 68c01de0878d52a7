import {
  NEUTRAL_VF_VALUES,
  type PfCapabilities,
  VfPolicy,
  type VfPolicyField,
  type VfPolicyInput,
} from '../../src/model/index.js';

/**
 * Bring a policy within what the driver can enforce: every field the driver lists as
 * unsupported takes the one value it can live with (or the neutral one), so the suite tests
 * each driver on everything it claims, and nothing it does not.
 */
function conform(input: VfPolicyInput, caps: PfCapabilities): VfPolicy {
  const out: Record<string, unknown> = { ...VfPolicy.parse(input) };
  for (const [field, limit] of Object.entries(caps.unsupportedVfFields)) {
    if (!limit) continue;
    if (limit.sameAs) out[field] = out[limit.sameAs];
    else if ('only' in limit) out[field] = limit.only;
    else if (field in NEUTRAL_VF_VALUES) out[field] = NEUTRAL_VF_VALUES[field as VfPolicyField];
    else delete out[field];
  }
  return VfPolicy.parse(out);
}

/**
 * Up to two VF policies that exercise most settings: a port VLAN with PCP, anti-spoof and a
 * rate limit on VF 0 (mirrored to VF 1 when the driver can); a trunk without strip, QinQ
 * where offered, and a disabled link on VF 1.
 */
export function samplePolicies(pf: string, caps: PfCapabilities, count: number): VfPolicy[] {
  const rate = Math.min(100, caps.linkSpeedMbps);
  const inputs: VfPolicyInput[] = [
    {
      name: 'conf-0',
      pf,
      vf: 0,
      vlans: [100],
      vlanQoS: 3,
      macs: ['02:c0:ff:ee:00:00'],
      macAntiSpoof: true,
      vlanAntiSpoof: true,
      maxTxRate: rate,
      allowMulticast: false,
      ...(caps.mirroring && count > 1
        ? { mirror: { target: 'conf-1', direction: 'in' as const } }
        : {}),
    },
    {
      name: 'conf-1',
      pf,
      vf: 1,
      vlans: caps.vlansPerVf >= 2 ? [200, 201] : [200],
      stripOuterTag: false,
      vlanProto: caps.vlanProtos.includes('802.1ad') ? '802.1ad' : '802.1Q',
      macs: ['02:c0:ff:ee:00:01'],
      trust: true,
      allowBroadcast: false,
      allowUnknownUnicast: true,
      linkState: 'disable',
      mtu: 1400,
    },
  ];
  return inputs.slice(0, count).map((p) => conform(p, caps));
}
