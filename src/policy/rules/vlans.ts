import { VLAN_MAX, VLAN_MIN } from '../../model/index.js';
import { listedTwice, type Rule, vfProblem } from './context.js';

/** VLAN IDs in 1-4094, no duplicates. */
export const vlanIds: Rule = (ctx, out) => {
  for (const s of ctx.vfs) {
    const seen = new Set<number>();
    s.policy.vlans.forEach((vlan, i) => {
      if (vlan < VLAN_MIN || vlan > VLAN_MAX) {
        out.push(
          vfProblem(s, {
            field: `vlans.${i}`,
            value: vlan,
            allowed: `${VLAN_MIN}-${VLAN_MAX}`,
            fix: `use a VLAN ID from ${VLAN_MIN} to ${VLAN_MAX} (0 and 4095 are reserved)`,
            what: `vlan ${vlan} is out of range ${VLAN_MIN}-${VLAN_MAX}`,
          }),
        );
      } else if (seen.has(vlan)) out.push(listedTwice(s, 'vlans', i, vlan));
      seen.add(vlan);
    });
  }
};

/**
 * `untagged` (a flat network) excludes a VLAN list, and a tag protocol other than the default
 * only means something when the NIC tags frames with a VLAN.
 */
export const vlanConsistency: Rule = (ctx, out) => {
  for (const s of ctx.vfs) {
    const p = s.policy;
    if (p.untagged && p.vlans.length > 0) {
      out.push(
        vfProblem(s, {
          field: 'vlans',
          value: p.vlans,
          allowed: '[] when untagged is true',
          fix: 'remove the VLANs for a flat network, or set untagged to false',
          what: `untagged is true but vlans lists ${p.vlans.join(', ')}`,
        }),
      );
    }
    if (p.vlanProto !== '802.1Q' && (p.untagged || p.vlans.length === 0)) {
      out.push(
        vfProblem(s, {
          field: 'vlanProto',
          value: p.vlanProto,
          allowed: p.untagged ? '802.1Q (no tag is used)' : '802.1Q, or 802.1ad with vlans',
          fix: p.untagged
            ? 'remove vlanProto: an untagged VF has no outer tag'
            : 'add the S-VLAN to vlans, or remove vlanProto',
          what: `vlanProto ${p.vlanProto} needs a VLAN to tag with, but ${p.untagged ? 'the VF is untagged' : 'vlans is empty'}`,
        }),
      );
    }
  }
};

/** The PF's driver can tag with the requested protocol. */
export const vlanProtoSupported: Rule = (ctx, out) => {
  for (const s of ctx.vfs) {
    const caps = ctx.caps.get(s.policy.pf);
    if (!caps || caps.vlanProtos.includes(s.policy.vlanProto)) continue;
    out.push(
      vfProblem(s, {
        field: 'vlanProto',
        value: s.policy.vlanProto,
        allowed: caps.vlanProtos.join(', '),
        fix: `use ${caps.vlanProtos.join(' or ')}, or move the VF to a PF whose driver supports ${s.policy.vlanProto}`,
        what: `driver ${caps.driver} cannot tag with ${s.policy.vlanProto}`,
      }),
    );
  }
};
