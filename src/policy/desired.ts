import {
  type DesiredPf,
  type DesiredVf,
  emptyGuestState,
  type GuestState,
  type LagConfig,
  lagConfig,
  type MainConfig,
  normaliseMac,
  type PfPolicy,
  type VfPolicy,
  type VfSettings,
  ZERO_MAC,
} from '../model/index.js';
import type { EswitchInput } from './eswitch/compile.js';
import { normaliseClassShares } from './qos.js';

export interface DesiredState {
  pfs: DesiredPf[];
  vfs: DesiredVf[];
  /**
   * What the eswitch of every PF in switchdev mode is compiled from (plan() compiles it,
   * with the host interface it observes). Absent: no eswitch to program.
   */
  eswitch?: EswitchInput[];
  /** The LAGs to program. Absent: LAGs are left as they are (a VF-only plan). */
  lags?: LagConfig[];
}

function uniqueSorted<T>(values: Iterable<T>): T[] {
  return [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The MAC a VF holds as primary: the guest's choice if acknowledged, else the policy default. */
export function primaryMac(policy: VfPolicy, guest: GuestState): string {
  return normaliseMac(guest.mac ?? policy.macs[0] ?? ZERO_MAC);
}

/** The VF's settings from its policy plus what its guest was allowed to change. */
export function vfSettings(
  policy: VfPolicy,
  guest: GuestState,
  pf: PfPolicy | undefined,
  shares: number[],
): VfSettings {
  const mac = primaryMac(policy, guest);
  const watched = policy.trust === 'guarded' && policy.guardMode === 'watch';
  const maxMtu = policy.mtu ?? pf?.mtu ?? 1500;
  return {
    mac,
    macFilters: uniqueSorted(guest.macs.map(normaliseMac)).filter((m) => m !== mac),
    // Guest VLANs are filters beside the mode the policy set: a port VLAN stays a port
    // VLAN (untagged frames still get its tag) and a flat VF still takes untagged frames.
    vlans: uniqueSorted(policy.vlans),
    vlanFilters: uniqueSorted(guest.vlans.filter((v) => !policy.vlans.includes(v))),
    untagged: policy.untagged,
    vlanProto: policy.vlanProto,
    vlanQoS: policy.vlanQoS,
    stripOuterTag: policy.stripOuterTag,
    macAntiSpoof: policy.macAntiSpoof,
    vlanAntiSpoof: policy.vlanAntiSpoof,
    // Guarded trust keeps the NIC's trust off (nicvisor switches the MAC on request) unless
    // it is in watch mode: then the NIC trusts the VF and the driver's MAC guard reverts
    // what the policy does not allow (docs/ha.md).
    trust: policy.trust === true || watched,
    macGuard: watched,
    allowBroadcast: policy.allowBroadcast,
    allowMulticast: policy.allowMulticast,
    allowUnknownUnicast: policy.allowUnknownUnicast,
    promisc: guest.promisc,
    allmulti: guest.allmulti,
    linkState: policy.linkState,
    mtu: guest.mtu ?? maxMtu,
    minTxRate: policy.minTxRate,
    maxTxRate: policy.maxTxRate,
    trafficShares: shares,
  };
}

export function desiredPf(pf: PfPolicy): DesiredPf {
  return {
    kind: 'desired',
    id: pf.pf,
    numVfs: pf.numVfs,
    mtu: pf.mtu,
    loopback: pf.loopback,
    eswitchMode: pf.eswitchMode,
    trafficClasses: pf.qos?.trafficClasses.map((c) => c.bandwidth) ?? [],
    trafficClassModes:
      pf.qos?.trafficClasses.map((c) => ({ strictPriority: c.strictPriority, group: c.group })) ??
      [],
  };
}

/**
 * What the desired state derives from the configuration and policies alone: the traffic
 * shares (normalised per PF and class over the active VFs, link not disabled), the policies
 * by name and their order. A caller that computes the desired state of a few VFs many times
 * over one set of policies (a guest's acks) builds it once; a guest change leaves it valid.
 */
export interface PolicyIndex {
  config: MainConfig;
  policies: readonly VfPolicy[];
  shares: ReadonlyMap<string, number[]>;
  byName: ReadonlyMap<string, VfPolicy>;
  position: ReadonlyMap<string, number>;
}

/** Each active VF's normalised traffic shares, for every PF (or those in `pfs`). */
function trafficShares(
  config: MainConfig,
  policies: readonly VfPolicy[],
  pfs?: ReadonlySet<string>,
): Map<string, number[]> {
  const shares = new Map<string, number[]>();
  for (const pf of config.pfs) {
    if (pfs && !pfs.has(pf.pf)) continue;
    const classes = pf.qos?.trafficClasses.length ?? 0;
    const active = policies.filter((p) => p.pf === pf.pf && p.linkState !== 'disable');
    const rows = normaliseClassShares(
      active.map((p) => p.trafficShares),
      classes,
    );
    active.forEach((p, i) => {
      shares.set(p.name, rows[i]);
    });
  }
  return shares;
}

export function policyIndex(config: MainConfig, policies: readonly VfPolicy[]): PolicyIndex {
  return {
    config,
    policies,
    shares: trafficShares(config, policies),
    byName: new Map(policies.map((p) => [p.name, p])),
    position: new Map(policies.map((p, i) => [p.name, i])),
  };
}

/**
 * Compute the desired state of every PF and VF from a validated configuration.
 * Traffic shares are normalised per PF and class over the active VFs (link not disabled).
 * With `only`, `vfs` has just those VFs, and every VF of a PF in switchdev mode (its eswitch
 * is compiled from them all): what a reconcile of a few VFs needs. A guest's ack on a host of
 * 512 VFs computed all 512 settings, and the garbage of them, for the one it changed; with
 * `index` (built by policyIndex from the same config and policies) it reads only those VFs.
 */
export function desiredState(
  config: MainConfig,
  policies: readonly VfPolicy[],
  guests: ReadonlyMap<string, GuestState>,
  revisions: ReadonlyMap<string, number>,
  only?: ReadonlySet<string>,
  index?: PolicyIndex,
): DesiredState {
  const pfById = new Map(config.pfs.map((p) => [p.pf, p]));
  const switchdev = new Set(
    config.pfs.filter((p) => p.eswitchMode === 'switchdev').map((p) => p.pf),
  );
  const idx = index && index.config === config && index.policies === policies ? index : undefined;
  let wanted: readonly VfPolicy[];
  if (!only) wanted = policies;
  else if (idx && switchdev.size === 0) {
    const named = [...only].flatMap((n) => idx.byName.get(n) ?? []);
    wanted = named.sort((a, b) => idx.position.get(a.name)! - idx.position.get(b.name)!);
  } else wanted = policies.filter((p) => only.has(p.name) || switchdev.has(p.pf));
  const shares = idx?.shares ?? trafficShares(config, policies, new Set(wanted.map((p) => p.pf)));
  let byName = idx?.byName;
  // Built only when a wanted VF mirrors (a guest's ack needs no index of every policy).
  const policyNamed = (name: string) => {
    byName ??= new Map(policies.map((p) => [p.name, p]));
    return byName.get(name);
  };
  const vfs = wanted.map((policy): DesiredVf => {
    const guest = guests.get(policy.name) ?? emptyGuestState();
    const target = policy.mirror ? policyNamed(policy.mirror.target) : undefined;
    return {
      kind: 'desired',
      name: policy.name,
      pf: policy.pf,
      vf: policy.vf,
      revision: revisions.get(policy.name) ?? 0,
      settings: vfSettings(policy, guest, pfById.get(policy.pf), shares.get(policy.name) ?? []),
      mirror:
        policy.mirror && target
          ? { targetVf: target.vf, direction: policy.mirror.direction }
          : null,
    };
  });
  const pfs = config.pfs.map(desiredPf);
  const eswitch = pfs
    .filter((p) => p.eswitchMode === 'switchdev')
    .map((p) => ({ pf: p, vfs: vfs.filter((v) => v.pf === p.id) }));
  return { pfs, vfs, eswitch, lags: config.lags.map(lagConfig) };
}
