import {
  type Decision,
  isUnicastMac,
  MAC_RE,
  normaliseMac,
  type ObservedPf,
  type ObservedVf,
  type VfPolicy,
  type VfSettings,
  ZERO_MAC,
} from '../model/index.js';

/**
 * What authorise() knows about the other VFs of the PF from their policies: names for
 * reasons, and the default MAC each reserves. A VF's default MAC is programmed whenever that
 * VF is reset, so no other VF may take it even while it is free — otherwise a reset would
 * leave one MAC on two VFs.
 */
export interface PfPeers {
  /** VF index → policy name. */
  names: ReadonlyMap<number, string>;
  /** Normalised default MAC (`macs[0]`) → index of the VF whose policy reserves it. */
  defaults: ReadonlyMap<string, number>;
}

/** Index the policies of one PF for authorise(); build it once per policy change. */
export function pfPeers(policies: readonly VfPolicy[]): PfPeers {
  const names = new Map<number, string>();
  const defaults = new Map<string, number>();
  for (const p of policies) {
    names.set(p.vf, p.name);
    if (p.macs[0] !== undefined) defaults.set(normaliseMac(p.macs[0]), p.vf);
  }
  return { names, defaults };
}

export const ack = (reason: string): Decision => ({ result: 'ack', reason });
export const nack = (reason: string): Decision => ({ result: 'nack', reason });

export function label(p: Pick<VfPolicy, 'vf' | 'name' | 'pf'>): string {
  return `vf ${p.vf} (${p.name}) on ${p.pf}`;
}

function peerLabel(vf: number, pf: string, peers: PfPeers | undefined): string {
  const name = peers?.names.get(vf);
  return name ? `vf ${vf} (${name}) on ${pf}` : `vf ${vf} on ${pf}`;
}

/** MACs a VF holds: its primary (unless none) and its filters, normalised. */
export function heldMacs(s: VfSettings): string[] {
  const primary = normaliseMac(s.mac);
  const out = primary === ZERO_MAC ? [] : [primary];
  for (const m of s.macFilters) out.push(normaliseMac(m));
  return out;
}

function holderOf(mac: string, self: number, pf: ObservedPf): ObservedVf | undefined {
  for (const o of pf.vfs) {
    if (o.vf === self) continue;
    if (normaliseMac(o.settings.mac) === mac) return o;
    for (const f of o.settings.macFilters) if (normaliseMac(f) === mac) return o;
  }
  return undefined;
}

function shapeError(mac: string): string | null {
  if (!MAC_RE.test(mac)) return `MAC ${JSON.stringify(mac)} is not well-formed (xx:xx:xx:xx:xx:xx)`;
  if (normaliseMac(mac) === ZERO_MAC) return `MAC ${mac} is all zeros`;
  if (!isUnicastMac(mac)) return `MAC ${mac} is not a unicast address`;
  return null;
}

export interface MacAsk {
  mac: string;
  policy: VfPolicy;
  vf: ObservedVf;
  pf: ObservedPf;
  peers: PfPeers | undefined;
  /** MACs the VF would hold if the request were granted. */
  after: (mac: string) => string[];
}

/**
 * The rule for taking a MAC (setMac / addMac): well-formed unicast; never one another VF
 * holds or reserves as its default (trust included); then allowed if the policy lists it,
 * the VF is trusted, or the guest still has room for a MAC of its own (`guestMacs`).
 */
export function decideTake(ask: MacAsk, verb: string): Decision {
  const { policy, vf, pf, peers } = ask;
  const bad = shapeError(ask.mac);
  if (bad) return nack(`${bad}; ${label(policy)} may only ${verb} a unicast MAC`);
  const mac = normaliseMac(ask.mac);
  const holder = holderOf(mac, vf.vf, pf);
  if (holder) return nack(`MAC ${mac} is held by ${peerLabel(holder.vf, pf.id, peers)}`);
  const owner = peers?.defaults.get(mac);
  if (owner !== undefined && owner !== vf.vf) {
    return nack(`MAC ${mac} is the default MAC of ${peerLabel(owner, pf.id, peers)}`);
  }
  const listed = policy.macs.map(normaliseMac);
  if (listed.includes(mac)) return ack(`MAC ${mac} is in the policy of ${label(policy)}`);
  if (policy.trust === true) return ack(`${label(policy)} is trusted`);
  const own = ask.after(mac).filter((m) => !listed.includes(m)).length;
  if (own <= policy.guestMacs) {
    return ack(`guest MAC ${own} of ${policy.guestMacs} allowed for ${label(policy)}`);
  }
  const allow = listed.length > 0 ? listed.join(', ') : 'empty';
  const room =
    policy.guestMacs === 0
      ? 'the policy allows no MACs of the guest’s own (guestMacs: 0)'
      : `its ${policy.guestMacs} guest MAC(s) are in use`;
  return nack(
    `MAC ${mac} is not in the allow-list of ${label(policy)} (${allow}) and ${room}; add it to macs in the policy`,
  );
}

/** delMac: a guest releases MACs it took; the policy's default MAC and the primary stay. */
export function decideDel(mac: string | undefined, policy: VfPolicy, vf: ObservedVf): Decision {
  const listed = policy.macs.map(normaliseMac);
  const held = heldMacs(vf.settings);
  if (mac === undefined) {
    const own = vf.settings.macFilters.map(normaliseMac).filter((m) => !listed.includes(m));
    const kept = listed.length > 0 ? `; the policy's MACs (${listed.join(', ')}) stay` : '';
    return own.length > 0
      ? ack(
          `cleared ${own.length} guest-added MAC(s) of ${label(policy)}: ${own.join(', ')}${kept}`,
        )
      : ack(`${label(policy)} has no guest-added MACs to clear${kept}`);
  }
  const bad = shapeError(mac);
  if (bad) return nack(`${bad}; nothing to delete on ${label(policy)}`);
  const n = normaliseMac(mac);
  if (n === listed[0])
    return ack(`MAC ${n} is the policy's default MAC of ${label(policy)}; it stays`);
  if (n === normaliseMac(vf.settings.mac)) {
    return ack(`MAC ${n} is the primary MAC of ${label(policy)}; it stays (setMac changes it)`);
  }
  if (!held.includes(n)) return ack(`${label(policy)} does not hold MAC ${n}; nothing to delete`);
  return listed.includes(n)
    ? ack(`released MAC ${n} from ${label(policy)}; its policy still allows it`)
    : ack(`removed guest MAC ${n} from ${label(policy)}`);
}
