import { isUnicastMac, MAC_RE, normaliseMac, ZERO_MAC } from '../../model/index.js';
import { pruneGuestState } from '../guest-state.js';
import {
  listedTwice,
  pfOf,
  type Rule,
  type RuleContext,
  type SourcedPolicy,
  vfLabel,
  vfProblem,
} from './context.js';

function macShapeProblem(mac: string): { allowed: string; fix: string; what: string } | null {
  if (!MAC_RE.test(mac)) {
    return {
      allowed: 'six hex octets separated by colons, e.g. 02:00:00:00:00:01',
      fix: 'write the MAC as xx:xx:xx:xx:xx:xx',
      what: `MAC ${JSON.stringify(mac)} is not well-formed`,
    };
  }
  if (normaliseMac(mac) === ZERO_MAC) {
    return {
      allowed: 'a non-zero unicast MAC',
      fix: 'use a real address, e.g. a locally administered 02:xx:xx:xx:xx:xx',
      what: `MAC ${mac} is all zeros`,
    };
  }
  if (!isUnicastMac(mac)) {
    return {
      allowed: 'a unicast MAC (lowest bit of the first octet clear)',
      fix: 'use a unicast address; broadcast and multicast MACs cannot be assigned to a VF',
      what: `MAC ${mac} is a multicast/broadcast address`,
    };
  }
  return null;
}

/** Every MAC is well-formed, unicast, non-zero, and listed once per VF. */
export const macShapes: Rule = (ctx, out) => {
  for (const s of ctx.vfs) {
    const seen = new Set<string>();
    s.policy.macs.forEach((mac, i) => {
      const bad = macShapeProblem(mac);
      if (bad) {
        out.push(vfProblem(s, { field: `macs.${i}`, value: mac, ...bad }));
        return;
      }
      const n = normaliseMac(mac);
      if (seen.has(n)) out.push(listedTwice(s, 'macs', i, mac));
      seen.add(n);
    });
  }
};

/**
 * No MAC is used by two VFs of one PF: a VF's default MAC (`macs[0]`, programmed at start)
 * is no other VF's default MAC or allow-list entry. Allow-lists themselves MAY overlap: that
 * is how an HA pair shares a virtual MAC, and authorise() refuses it to the second VF while
 * the first holds it.
 */
/**
 * MACs the guests of a PF's VFs hold (switched to or added), as each VF's new policy would
 * leave them: a default MAC is programmed, so it must not be one a guest of another VF
 * already uses, or both VFs would run with it.
 */
function guestHeldMacs(
  ctx: RuleContext,
  pf: string,
  list: readonly SourcedPolicy[],
): Map<string, SourcedPolicy> {
  const held = new Map<string, SourcedPolicy>();
  if (ctx.guests.size === 0) return held;
  const pfPolicy = pfOf(ctx, pf);
  for (const s of list) {
    const g = ctx.guests.get(s.policy.name);
    if (!g) continue;
    const kept = pruneGuestState(g, s.policy, pfPolicy);
    for (const m of [...(kept.mac ? [kept.mac] : []), ...kept.macs]) held.set(normaliseMac(m), s);
  }
  return held;
}

export const macConflicts: Rule = (ctx, out) => {
  for (const [pf, list] of ctx.byPf) {
    const held = guestHeldMacs(ctx, pf, list);
    const defaults = new Map<string, SourcedPolicy>();
    for (const s of list) {
      const first = s.policy.macs[0];
      if (first === undefined || !isUnicastMac(first)) continue;
      const n = normaliseMac(first);
      const other = defaults.get(n);
      if (other) {
        out.push(
          vfProblem(s, {
            field: 'macs.0',
            value: first,
            allowed: 'a MAC no other VF of this PF uses',
            fix: `give ${s.policy.name} its own default MAC`,
            what: `default MAC ${first} is also the default MAC of ${vfLabel(other.policy)} (${other.file})`,
          }),
        );
      } else defaults.set(n, s);
      const holder = held.get(n);
      if (holder && holder !== s) {
        out.push(
          vfProblem(s, {
            field: 'macs.0',
            value: first,
            allowed: 'a MAC no other VF of this PF holds',
            fix: `give ${s.policy.name} another default MAC, or have the guest of ${holder.policy.name} give ${n} back (delMac, or a reset)`,
            what: `default MAC ${first} is held by the guest of ${vfLabel(holder.policy)}, which a guest request granted`,
          }),
        );
      }
    }
    for (const s of list) {
      s.policy.macs.forEach((mac, i) => {
        if (i === 0 || !isUnicastMac(mac)) return;
        const owner = defaults.get(normaliseMac(mac));
        if (!owner || owner === s) return;
        out.push(
          vfProblem(s, {
            field: `macs.${i}`,
            value: mac,
            allowed: 'a MAC that is not another VF’s default MAC',
            fix: `remove ${mac} from the allow-list, or move it out of macs[0] of ${owner.policy.name}`,
            what: `allow-list MAC ${mac} is the default MAC of ${vfLabel(owner.policy)} (${owner.file})`,
          }),
        );
      });
    }
  }
};
