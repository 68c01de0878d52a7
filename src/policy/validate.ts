import type { z } from 'zod';
import { MainConfig, type PfCapabilities, type Problem, VfPolicy } from '../model/index.js';

/** A configuration document and where it came from (file path or API object). */
export interface Sourced {
  file: string;
  data: unknown;
}

export interface ValidationResult {
  problems: Problem[];
  /** Parsed main config with defaults, when it parsed. */
  config: MainConfig | null;
  /** Parsed VF policies with defaults, those that parsed. */
  policies: VfPolicy[];
}

/** Capabilities of each PF the driver discovered, keyed by PF id. */
export type CapabilityMap = ReadonlyMap<string, PfCapabilities>;

function zodProblems(file: string, error: z.ZodError): Problem[] {
  return error.issues.map((issue) => ({
    file,
    field: issue.path.join('.') || '(document)',
    value: issue.input,
    allowed: issue.message,
    fix: 'correct the value',
    message: issue.message,
  }));
}

/**
 * Validate the whole configuration at once and return every problem found.
 * (Foundation version: schema checks only; cross-field rules are added in policy/rules.)
 */
export function validate(main: Sourced, vfs: Sourced[], _caps: CapabilityMap): ValidationResult {
  const problems: Problem[] = [];
  const m = MainConfig.safeParse(main.data, { reportInput: true });
  if (!m.success) problems.push(...zodProblems(main.file, m.error));
  const policies: VfPolicy[] = [];
  for (const v of vfs) {
    const p = VfPolicy.safeParse(v.data, { reportInput: true });
    if (p.success) policies.push(p.data);
    else problems.push(...zodProblems(v.file, p.error));
  }
  return { problems, config: m.success ? m.data : null, policies };
}
