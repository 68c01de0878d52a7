import type { EswitchMode } from './common.js';
import type { EswitchRule, RuleDiff } from './eswitch.js';
import type { LagConfig } from './lag.js';
import type { MirrorState, VfSettingKey, VfSettings } from './settings.js';

/**
 * One change the driver must make. Steps are typed values: plan() produces them, a
 * driver's apply() executes them, and each prints as desired/current — so a plan can be
 * logged, tested and compared before anything touches the NIC, with no state hidden
 * between deciding and acting.
 */
export type PlanStep =
  | {
      kind: 'setNumVfs';
      pf: string;
      from: number;
      to: number;
      reason: string;
    }
  | {
      kind: 'setPf';
      pf: string;
      field: 'mtu' | 'loopback' | 'trafficClasses' | 'trafficClassModes';
      from: unknown;
      to: unknown;
      reason: string;
    }
  | {
      kind: 'setEswitchMode';
      pf: string;
      from: EswitchMode;
      to: EswitchMode;
      reason: string;
    }
  | {
      kind: 'setVf';
      pf: string;
      vf: number;
      name: string;
      field: VfSettingKey;
      from: VfSettings[VfSettingKey] | undefined;
      to: VfSettings[VfSettingKey];
      reason: string;
    }
  | {
      /** Create, change or remove a LAG; `pf` is its first member (the one it is observed on). */
      kind: 'setLag';
      pf: string;
      lag: string;
      from: LagConfig | null;
      to: LagConfig | null;
      reason: string;
    }
  | {
      kind: 'setMirror';
      pf: string;
      vf: number;
      name: string;
      from: MirrorState | null;
      to: MirrorState | null;
      reason: string;
    };

export interface Plan {
  steps: PlanStep[];
  /**
   * Rule changes of PFs in switchdev mode, applied after `steps` (the eswitch mode and the
   * VFs exist by then). Absent or empty: no rule changes.
   */
  eswitch?: RuleDiff[];
}

/** How a driver fared with one PF's rule diff; a failure names each refused rule. */
export type EswitchOutcome =
  | { diff: RuleDiff; status: 'done' }
  | {
      diff: RuleDiff;
      status: 'failed';
      /** Every rule the driver could not install, change or remove, with the reason. */
      failures: { rule: EswitchRule; error: string }[];
    };

export type StepOutcome =
  | { step: PlanStep; status: 'done' }
  | { step: PlanStep; status: 'failed'; error: string }
  | { step: PlanStep; status: 'skipped'; error: string };

export interface ApplyResult {
  outcomes: StepOutcome[];
  /** One per entry of `plan.eswitch`, in order. */
  eswitch?: EswitchOutcome[];
}

function show(v: unknown): string {
  if (v === undefined) return '-';
  if (v === null) return 'none';
  if (Array.isArray(v)) return v.length === 0 ? '[]' : v.map(show).join(',');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function showLag(c: LagConfig | null): string {
  if (c === null) return 'none';
  const hash = c.mode === 'active-backup' ? '' : ` hash ${c.xmitHashPolicy}`;
  return `${c.mode} of ${c.members.join('+')}${hash} miimon ${c.miimon}${c.vfLag ? ' vf-lag' : ''}`;
}

/** One line per step: `sim:nic0/0 vf 3 (web-1) vlans: desired 100 current 200 — policy`. */
export function formatStep(step: PlanStep): string {
  switch (step.kind) {
    case 'setNumVfs':
      return `${step.pf} numVfs: desired ${step.to} current ${step.from} — ${step.reason}`;
    case 'setPf':
      return `${step.pf} ${step.field}: desired ${show(step.to)} current ${show(step.from)} — ${step.reason}`;
    case 'setEswitchMode':
      return `${step.pf} eswitchMode: desired ${step.to} current ${step.from} — ${step.reason}`;
    case 'setVf':
      return `${step.pf} vf ${step.vf} (${step.name}) ${step.field}: desired ${show(step.to)} current ${show(step.from)} — ${step.reason}`;
    case 'setLag':
      return `LAG ${step.lag}: desired ${showLag(step.to)} current ${showLag(step.from)} — ${step.reason}`;
    case 'setMirror':
      return `${step.pf} vf ${step.vf} (${step.name}) mirror: desired ${show(step.to)} current ${show(step.from)} — ${step.reason}`;
  }
}
