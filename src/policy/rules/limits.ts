import { pfProblem, type Rule, vfProblem } from './context.js';
import { switchdevCaps, switchdevFix } from './switchdev.js';

/**
 * MAC and VLAN filter tables are finite. A VF can come to hold at most
 * `macs.length + guestMacs` MACs (every policy MAC, taken by the guest, plus the guest's own),
 * so that is what must fit the driver's per-VF table, and the sum over a PF's VFs must fit
 * its per-PF table. A trusted VF may take MACs beyond that; the NIC refuses those at apply
 * time when its table is full. A VF with trust "guarded" holds one MAC of its list at a time.
 * VLANs count distinct IDs per PF (filters are shared).
 */
export const filterLimits: Rule = (ctx, out) => {
  for (const [pf, list] of ctx.byPf) {
    const caps = ctx.caps.get(pf);
    if (!caps) continue;
    const sd = switchdevCaps(ctx, pf);
    const hint = (fits: boolean, fix: string) =>
      fits ? { fix: `${switchdevFix(pf)}, or ${fix}`, mode: ' in legacy mode' } : { fix, mode: '' };
    let macTotal = 0;
    const vlans = new Set<number>();
    for (const s of list) {
      const p = s.policy;
      // Guarded trust uses one MAC of its list at a time (a switch, never a second filter),
      // so it needs one filter however long the list: the vSRX RETH case on a 1-filter NIC.
      const macs = p.trust === 'guarded' ? 1 : p.macs.length + p.guestMacs;
      macTotal += macs;
      for (const v of p.vlans) vlans.add(v);
      if (macs > caps.macsPerVf) {
        const h = hint(
          sd !== null && macs <= sd.macsPerVf,
          `list at most ${caps.macsPerVf} MACs in macs + guestMacs`,
        );
        out.push(
          vfProblem(s, {
            field: p.guestMacs > 0 ? 'guestMacs' : 'macs',
            value: p.guestMacs > 0 ? p.guestMacs : p.macs,
            allowed: `macs entries + guestMacs <= ${caps.macsPerVf} (driver ${caps.driver})`,
            fix: h.fix,
            what: `${p.macs.length} MACs + guestMacs ${p.guestMacs} = ${macs} exceed the ${caps.macsPerVf} MAC filters driver ${caps.driver} offers per VF${h.mode}`,
          }),
        );
      }
      if (p.vlans.length > caps.vlansPerVf) {
        const h = hint(
          sd !== null && p.vlans.length <= sd.vlansPerVf,
          `list at most ${caps.vlansPerVf} VLANs`,
        );
        out.push(
          vfProblem(s, {
            field: 'vlans',
            value: p.vlans,
            allowed: `at most ${caps.vlansPerVf} VLANs (driver ${caps.driver})`,
            fix: h.fix,
            what: `${p.vlans.length} VLANs exceed the ${caps.vlansPerVf} driver ${caps.driver} offers per VF${h.mode}`,
          }),
        );
      }
    }
    if (macTotal > caps.macsPerPf) {
      out.push(
        pfProblem(ctx, pf, {
          field: '',
          value: macTotal,
          allowed: `at most ${caps.macsPerPf} MACs (macs + guestMacs) over all VFs of the PF`,
          fix: 'lower guestMacs or shorten allow-lists on this PF, or move VFs to another PF',
          what: `its VFs may hold ${macTotal} MACs, more than the ${caps.macsPerPf} filters driver ${caps.driver} offers`,
        }),
      );
    }
    if (vlans.size > caps.vlansPerPf) {
      out.push(
        pfProblem(ctx, pf, {
          field: '',
          value: vlans.size,
          allowed: `at most ${caps.vlansPerPf} distinct VLANs over all VFs of the PF`,
          fix: 'use fewer distinct VLANs on this PF, or move VFs to another PF',
          what: `its VFs use ${vlans.size} distinct VLANs, more than the ${caps.vlansPerPf} filters driver ${caps.driver} offers`,
        }),
      );
    }
  }
};
