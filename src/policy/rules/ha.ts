import type { VfPolicy } from '../../model/index.js';
import { type Rule, show, vfLabel, vfProblem } from './context.js';

/**
 * The fields both VFs of an HA pair must agree on: the guest's bond moves one MAC between
 * them (fail_over_mac none/follow), so each must accept the other's MACs, VLANs and MTU, and
 * anti-spoof must treat both alike, or the NIC drops the frames of the VF that took over.
 */
const PAIRED_FIELDS = [
  'macs',
  'vlans',
  'untagged',
  'vlanProto',
  'vlanQoS',
  'stripOuterTag',
  'macAntiSpoof',
  'vlanAntiSpoof',
  'trust',
  'guardMode',
  'mtu',
  'linkState',
] as const satisfies readonly (keyof VfPolicy)[];

function sameMacs(a: readonly string[], b: readonly string[]): boolean {
  const n = (l: readonly string[]) => l.map((m) => m.toLowerCase()).join(',');
  return n(a) === n(b);
}

/** An HA pair: two VFs on two PFs that name each other and agree on their MAC policy. */
export const haPairs: Rule = (ctx, out) => {
  for (const s of ctx.vfs) {
    const p = s.policy;
    if (p.haPeer === undefined) continue;
    const peer = ctx.byName.get(p.haPeer);
    if (!peer || peer === s) {
      out.push(
        vfProblem(s, {
          field: 'haPeer',
          value: p.haPeer,
          allowed: 'the name of another VF policy',
          fix: peer
            ? 'name the other VF of the pair'
            : `create VF policy ${p.haPeer}, or fix the name`,
          what: peer ? 'haPeer names the VF itself' : `haPeer ${p.haPeer} is no VF policy`,
        }),
      );
      continue;
    }
    const q = peer.policy;
    if (q.haPeer !== p.name) {
      out.push(
        vfProblem(s, {
          field: 'haPeer',
          value: p.haPeer,
          allowed: `a VF whose haPeer is ${p.name}`,
          fix: `set haPeer "${p.name}" in ${peer.file}`,
          what: `its peer ${vfLabel(q)} has haPeer ${show(q.haPeer)}, not ${p.name}`,
        }),
      );
      continue;
    }
    // Both halves name each other: report what they share once, on the second by name.
    if (p.name < q.name) continue;
    if (p.pf === q.pf) {
      out.push(
        vfProblem(s, {
          field: 'pf',
          value: p.pf,
          allowed: `a PF other than ${q.pf}`,
          fix: `move ${p.name} or ${q.name} to another PF, so one port failing leaves the other`,
          what: `its HA peer ${vfLabel(q)} is on the same PF: one link failure takes both`,
        }),
      );
    }
    for (const f of PAIRED_FIELDS) {
      const equal = f === 'macs' ? sameMacs(p.macs, q.macs) : show(p[f]) === show(q[f]);
      if (equal) continue;
      out.push(
        vfProblem(s, {
          field: f,
          value: p[f],
          allowed: `${show(q[f])}, as its HA peer ${q.name} has`,
          fix: `give ${p.name} and ${q.name} the same ${f}`,
          what: `${f} ${show(p[f])} differs from ${show(q[f])} of its HA peer ${vfLabel(q)}; the guest's failover would be refused by the NIC`,
        }),
      );
    }
  }
};

/**
 * Guarded trust: the guest uses one MAC of `macs` at a time, switched on request or (watch
 * mode) by itself with nicvisor reverting any other. So the policy needs a list to guard with, and no guest MACs of
 * its own (guarded means "one of these", not "any N").
 */
export const guardedTrust: Rule = (ctx, out) => {
  for (const s of ctx.vfs) {
    const p = s.policy;
    if (p.guardMode !== 'request' && p.trust !== 'guarded') {
      out.push(
        vfProblem(s, {
          field: 'guardMode',
          value: p.guardMode,
          allowed: '"request" (the default) unless trust is "guarded"',
          fix: 'set trust to "guarded", or remove guardMode',
          what: `guardMode "${p.guardMode}" only applies to trust "guarded" (trust is ${JSON.stringify(p.trust)})`,
        }),
      );
    }
    if (p.trust !== 'guarded') continue;
    if (p.macs.length === 0) {
      out.push(
        vfProblem(s, {
          field: 'macs',
          value: p.macs,
          allowed: 'at least one MAC (the allow-list guarded trust keeps the guest to)',
          fix: 'list the MACs the guest may use in macs, the default first',
          what: 'trust "guarded" has no MACs to guard with',
        }),
      );
    }
    if (p.guestMacs > 0) {
      out.push(
        vfProblem(s, {
          field: 'guestMacs',
          value: p.guestMacs,
          allowed: '0 with trust "guarded"',
          fix: 'set guestMacs to 0 and list every MAC the guest may use in macs',
          what: 'trust "guarded" allows only the MACs in macs, one at a time; guestMacs would let the guest pick others',
        }),
      );
    }
  }
};
