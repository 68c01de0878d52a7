import {
  type DesiredPf,
  type DesiredVf,
  type LagConfig,
  type MirrorState,
  type ObservedPf,
  type ObservedVf,
  type Plan,
  type PlanStep,
  type RuleDiff,
  sameLagConfig,
  type VfSettingKey,
  type VfSettings,
} from '../model/index.js';
import type { DesiredState } from './desired.js';
import { compileEswitch } from './eswitch/compile.js';
import { diffRules, isEmptyDiff } from './eswitch/diff.js';

/**
 * Order in which a VF's fields are changed. The link is taken down first when the policy
 * disables it, and brought up last otherwise, so a guest never sees a half-configured link;
 * identity (MAC, VLAN) comes before the filters that depend on it.
 */
export const VF_FIELD_ORDER: readonly VfSettingKey[] = [
  'mac',
  'macFilters',
  'untagged',
  'vlanProto',
  'vlans',
  'vlanFilters',
  'vlanQoS',
  'stripOuterTag',
  'macAntiSpoof',
  'vlanAntiSpoof',
  // The MAC guard is on before the NIC trusts the VF (docs/ha.md, guarded trust).
  'macGuard',
  'trust',
  'allowBroadcast',
  'allowMulticast',
  'allowUnknownUnicast',
  'promisc',
  'allmulti',
  'mtu',
  'minTxRate',
  'maxTxRate',
  'trafficShares',
  'linkState',
];

/** Lists whose order carries no meaning are compared as sets. */
const SET_FIELDS = new Set<VfSettingKey>(['macFilters', 'vlans', 'vlanFilters']);

function sameValue(field: VfSettingKey, a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    // In the same order is the common case (a VF in sync): no sorted copies for it.
    if (a.every((v, i) => v === b[i])) return true;
    if (!SET_FIELDS.has(field)) return false;
    const [x, y] = [[...a].sort(), [...b].sort()];
    return x.every((v, i) => v === y[i]);
  }
  return a === b;
}

function sameMirror(a: MirrorState | null, b: MirrorState | null): boolean {
  if (a === null || b === null) return a === b;
  return a.targetVf === b.targetVf && a.direction === b.direction;
}

/** Fields of a VF that differ from what is observed, in VF_FIELD_ORDER. */
export function vfDiff(desired: VfSettings, observed: VfSettings | undefined): VfSettingKey[] {
  const keys = VF_FIELD_ORDER.filter((k) => !observed || !sameValue(k, desired[k], observed[k]));
  // Disabling the link goes first: stop traffic before changing what it may carry.
  if (desired.linkState === 'disable' && keys.includes('linkState')) {
    return ['linkState', ...keys.filter((k) => k !== 'linkState')];
  }
  return keys;
}

function pfSteps(d: DesiredPf, o: ObservedPf): PlanStep[] {
  const steps: PlanStep[] = [];
  const reason = 'PF policy';
  if (d.numVfs !== o.numVfs) {
    steps.push({ kind: 'setNumVfs', pf: d.id, from: o.numVfs, to: d.numVfs, reason });
  }
  if (d.eswitchMode !== o.eswitchMode) {
    steps.push({
      kind: 'setEswitchMode',
      pf: d.id,
      from: o.eswitchMode,
      to: d.eswitchMode,
      reason,
    });
  }
  // Never write an MTU that is already right: on igb it resets every VF (lab README).
  if (d.mtu !== o.mtu)
    steps.push({ kind: 'setPf', pf: d.id, field: 'mtu', from: o.mtu, to: d.mtu, reason });
  if (d.loopback !== o.loopback) {
    steps.push({
      kind: 'setPf',
      pf: d.id,
      field: 'loopback',
      from: o.loopback,
      to: d.loopback,
      reason,
    });
  }
  if (d.trafficClasses.join(',') !== o.trafficClasses.join(',')) {
    steps.push({
      kind: 'setPf',
      pf: d.id,
      field: 'trafficClasses',
      from: o.trafficClasses,
      to: d.trafficClasses,
      reason,
    });
  }
  const modes = o.trafficClassModes ?? [];
  if (JSON.stringify(d.trafficClassModes) !== JSON.stringify(modes)) {
    steps.push({
      kind: 'setPf',
      pf: d.id,
      field: 'trafficClassModes',
      from: modes,
      to: d.trafficClassModes,
      reason,
    });
  }
  return steps;
}

function vfSteps(d: DesiredVf, o: ObservedVf | undefined): PlanStep[] {
  const reason = `policy ${d.name} revision ${d.revision}`;
  return vfDiff(d.settings, o?.settings).map((field) => ({
    kind: 'setVf',
    pf: d.pf,
    vf: d.vf,
    name: d.name,
    field,
    from: o?.settings[field],
    to: d.settings[field],
    reason,
  }));
}

/**
 * What must change, in order, to turn the observed state into the desired one. Pure: it
 * returns a value that can be printed (formatStep) and handed to a driver's apply().
 *
 * When a PF's VF count changes the kernel recreates every VF, so VF steps for that PF are
 * left out: the caller applies this plan, observes again and plans again.
 * PFs and VFs without a policy are not touched.
 */
export function plan(desired: DesiredState, observed: readonly ObservedPf[]): Plan {
  const obsPf = new Map(observed.map((p) => [p.id, p]));
  const steps: PlanStep[] = [];
  const resizing = new Set<string>();
  for (const d of desired.pfs) {
    const o = obsPf.get(d.id);
    if (!o) continue;
    const s = pfSteps(d, o);
    if (s.some((x) => x.kind === 'setNumVfs')) resizing.add(d.id);
    steps.push(...s);
  }
  steps.push(...lagSteps(desired.lags, obsPf, new Set(desired.pfs.map((p) => p.id))));
  const mirrors: PlanStep[] = [];
  for (const d of desired.vfs) {
    if (resizing.has(d.pf)) continue;
    const o = obsPf.get(d.pf)?.vfs.find((v) => v.vf === d.vf);
    steps.push(...vfSteps(d, o));
    const current = o?.mirror ?? null;
    if (!sameMirror(d.mirror, current)) {
      mirrors.push({
        kind: 'setMirror',
        pf: d.pf,
        vf: d.vf,
        name: d.name,
        from: current,
        to: d.mirror,
        reason: `policy ${d.name} revision ${d.revision}`,
      });
    }
  }
  // Mirrors last: their target must already be configured.
  const eswitch = eswitchDiffs(desired, obsPf, steps);
  const all = [...steps, ...mirrors];
  return eswitch.length > 0 ? { steps: all, eswitch } : { steps: all };
}

/**
 * LAGs to create, change or remove, after the PF steps (VF-LAG needs the members in
 * switchdev first) and before the VF steps. A LAG is observed on its members; one of a
 * managed PF that is not desired is removed. `lags` absent: a plan that leaves LAGs alone.
 */
function lagSteps(
  lags: readonly LagConfig[] | undefined,
  observed: ReadonlyMap<string, ObservedPf>,
  managed: ReadonlySet<string>,
): PlanStep[] {
  if (lags === undefined) return [];
  const steps: PlanStep[] = [];
  const wanted = new Set(lags.map((l) => l.name));
  const seen = new Map<string, LagConfig>();
  for (const id of managed) {
    const o = observed.get(id)?.lag;
    if (o && !seen.has(o.config.name)) seen.set(o.config.name, o.config);
  }
  for (const [name, config] of seen) {
    if (wanted.has(name)) continue;
    const reason = 'LAG no longer in the configuration';
    steps.push({
      kind: 'setLag',
      pf: config.members[0],
      lag: name,
      from: config,
      to: null,
      reason,
    });
  }
  for (const want of lags) {
    const [a, b] = want.members;
    if (!observed.has(a) || !observed.has(b)) continue;
    const current = seen.get(want.name) ?? null;
    if (sameLagConfig(want, current)) continue;
    const reason = current ? 'LAG policy changed' : 'LAG policy';
    steps.push({ kind: 'setLag', pf: a, lag: want.name, from: current, to: want, reason });
  }
  return steps;
}

/**
 * Rule changes of PFs in switchdev mode whose driver reports installed rules. A PF whose
 * VF count or eswitch mode changes in this plan is left for the next round: its
 * representors are about to be new.
 */
function eswitchDiffs(
  desired: DesiredState,
  observed: ReadonlyMap<string, ObservedPf>,
  steps: readonly PlanStep[],
): RuleDiff[] {
  const moving = new Set(
    steps.filter((s) => s.kind === 'setNumVfs' || s.kind === 'setEswitchMode').map((s) => s.pf),
  );
  const out: RuleDiff[] = [];
  for (const input of desired.eswitch ?? []) {
    const o = observed.get(input.pf.id);
    if (!o?.eswitch || moving.has(input.pf.id)) continue;
    const d = diffRules(o.eswitch.rules, compileEswitch(input, o.host));
    if (!isEmptyDiff(d)) out.push(d);
  }
  return out;
}
