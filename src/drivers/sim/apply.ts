import {
  type ApplyResult,
  type MirrorState,
  MTU_MAX,
  MTU_MIN,
  type Plan,
  type PlanStep,
  type StepOutcome,
  type TrafficClassMode,
  type VfSettings,
  vfKey,
} from '../../model/index.js';
import { applyRuleDiff, forgetRules, setSimEswitchMode } from './eswitch/apply.js';
import type { SimNic } from './nic.js';
import type { SimPf } from './pf.js';
import { cloneSettings } from './settings.js';

/** What a VF looked like before nicvisor first changed it: release restores this, not what it set. */
export interface VfSnapshot {
  settings: VfSettings;
  mirror: MirrorState | null;
}

export type Snapshots = Map<string, VfSnapshot>;

function snapshot(pf: SimPf, vf: number, snapshots: Snapshots): void {
  const key = vfKey(pf.id, vf);
  if (snapshots.has(key)) return;
  const v = pf.vf(vf);
  snapshots.set(key, { settings: cloneSettings(v.settings), mirror: v.mirror });
}

function setPfField(pf: SimPf, field: string, to: unknown): void {
  if (field === 'mtu') {
    if (typeof to !== 'number' || !Number.isInteger(to) || to < MTU_MIN || to > MTU_MAX) {
      throw new Error(`${pf.id}: mtu ${JSON.stringify(to)} is out of range ${MTU_MIN}-${MTU_MAX}`);
    }
    pf.mtu = to;
  } else if (field === 'loopback') {
    if (typeof to !== 'boolean') {
      throw new Error(`${pf.id}: loopback ${JSON.stringify(to)} is not a boolean`);
    }
    pf.loopback = to;
  } else if (field === 'trafficClasses') {
    const ok =
      Array.isArray(to) &&
      to.length <= 8 &&
      to.every((x) => Number.isInteger(x) && x >= 0 && x <= 100) &&
      (to.length === 0 || to.reduce((a: number, b: number) => a + b, 0) === 100);
    if (!ok) {
      throw new Error(
        `${pf.id}: trafficClasses ${JSON.stringify(to)} must be up to 8 percentages summing to 100 (or [] for none)`,
      );
    }
    pf.setTrafficClasses(to as number[]);
  } else if (field === 'trafficClassModes') {
    pf.setTrafficClasses(pf.trafficClasses, checkModes(pf, to));
  } else {
    throw new Error(`${pf.id}: unknown PF setting "${field}"`);
  }
}

/** Class modes as the plan carries them: up to 8 of `{strictPriority, group 0-7}`. */
function checkModes(pf: SimPf, to: unknown): TrafficClassMode[] {
  const ok =
    Array.isArray(to) &&
    to.length <= 8 &&
    to.every(
      (m) =>
        typeof m?.strictPriority === 'boolean' &&
        Number.isInteger(m?.group) &&
        m.group >= 0 &&
        m.group <= 7,
    );
  if (!ok) {
    throw new Error(
      `${pf.id}: trafficClassModes ${JSON.stringify(to)} must be up to 8 of {strictPriority: true|false, group: 0-7}`,
    );
  }
  return to as TrafficClassMode[];
}

/** Execute one step; throws with a message naming the object, value, range and fix. */
function runStep(nic: SimNic, step: PlanStep, snapshots: Snapshots): void {
  const pf = nic.pf(step.pf);
  switch (step.kind) {
    case 'setNumVfs':
      pf.resize(step.to);
      forgetRules(pf);
      // The VFs were recreated: their snapshots describe VFs that no longer exist.
      for (const k of [...snapshots.keys()]) if (k.startsWith(`${pf.id}#`)) snapshots.delete(k);
      return;
    case 'setPf':
      setPfField(pf, step.field, step.to);
      return;
    case 'setEswitchMode':
      setSimEswitchMode(pf, step.to);
      return;
    case 'setVf':
      pf.vf(step.vf);
      snapshot(pf, step.vf, snapshots);
      pf.setVfField(step.vf, step.field, step.to, true);
      return;
    case 'setLag':
      nic.setLag(step.lag, step.to);
      return;
    case 'setMirror':
      pf.vf(step.vf);
      snapshot(pf, step.vf, snapshots);
      pf.setMirror(step.vf, step.to);
      return;
  }
}

/**
 * Execute a plan in order and report every step. A failed step never throws; the later
 * steps of the same VF are skipped so it is not left half-configured in a new way.
 */
export function applyPlan(nic: SimNic, plan: Plan, snapshots: Snapshots): ApplyResult {
  const failed = new Map<string, string>();
  const outcomes: StepOutcome[] = [];
  for (const step of plan.steps) {
    const key = step.kind === 'setVf' || step.kind === 'setMirror' ? vfKey(step.pf, step.vf) : '';
    const earlier = failed.get(key);
    if (earlier !== undefined) {
      outcomes.push({
        step,
        status: 'skipped',
        error: `skipped because an earlier step of vf ${(step as { vf: number }).vf} on ${step.pf} failed (${earlier})`,
      });
      continue;
    }
    try {
      runStep(nic, step, snapshots);
      outcomes.push({ step, status: 'done' });
    } catch (err) {
      const error = (err as Error).message;
      outcomes.push({ step, status: 'failed', error });
      if (key) failed.set(key, step.kind === 'setVf' ? step.field : 'mirror');
    }
  }
  const eswitch = (plan.eswitch ?? []).map((d) => applyRuleDiff(nic, d));
  return eswitch.length > 0 ? { outcomes, eswitch } : { outcomes };
}
