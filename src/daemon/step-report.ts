/** Reading a driver's step outcomes per VF, for sync status and logs. */
import { formatStep, type PlanStep, type StepOutcome } from '../model/index.js';

/** The VF a step belongs to (by policy name), or null for a PF step. */
export function stepVf(step: PlanStep): string | null {
  return step.kind === 'setVf' || step.kind === 'setMirror' ? step.name : null;
}

/** What a step changes, for "applied: …" lists (`mtu→1400`, `mirror→none`). */
function stepField(step: PlanStep): string {
  if (step.kind === 'setVf') return `${step.field}→${JSON.stringify(step.to)}`;
  return step.kind === 'setMirror' ? `mirror→${JSON.stringify(step.to)}` : step.kind;
}

/**
 * The error of each VF whose apply failed, saying which of its steps were applied and which
 * were not: a multi-step change that fails half way leaves the VF half configured, and the
 * status must say so rather than just naming the failed step.
 */
export function failuresByVf(outcomes: readonly StepOutcome[]): Map<string, string> {
  const byVf = new Map<string, StepOutcome[]>();
  for (const o of outcomes) {
    const n = stepVf(o.step);
    if (n) byVf.set(n, [...(byVf.get(n) ?? []), o]);
  }
  const out = new Map<string, string>();
  for (const [name, os] of byVf) {
    const bad = os.find((o) => o.status !== 'done');
    if (!bad) continue;
    const done = os.filter((o) => o.status === 'done').map((o) => stepField(o.step));
    const notDone = os.filter((o) => o.status !== 'done').map((o) => stepField(o.step));
    out.set(
      name,
      `${formatStep(bad.step)}: ${bad.error} (applied: ${done.join(', ') || 'nothing'}; not applied: ${notDone.join(', ')})`,
    );
  }
  return out;
}
