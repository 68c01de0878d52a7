import { MAX_DEPTH, MainConfig, type Problem, tooDeep, VfPolicy } from '../model/index.js';
import {
  buildContext,
  type CapabilityMap,
  type Rule,
  type SourcedPolicy,
} from './rules/context.js';
import { unsupportedFields } from './rules/driver.js';
import { eswitchCapacity } from './rules/eswitch.js';
import { duplicateNames, nameRules, pfExists, vfIndexRules } from './rules/identity.js';
import { filterLimits } from './rules/limits.js';
import { macConflicts, macShapes } from './rules/macs.js';
import { hookRules, mirrorRules } from './rules/mirror.js';
import { pfRules, trafficClassBandwidth } from './rules/pf.js';
import { trafficShares, txRates, vfMtu } from './rules/rates.js';
import { vlanConsistency, vlanIds, vlanProtoSupported } from './rules/vlans.js';
import { zodProblems } from './zod-problems.js';

export type { CapabilityMap } from './rules/context.js';

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

/** Every rule, in the order their problems are reported. */
export const RULES: readonly Rule[] = [
  pfRules,
  trafficClassBandwidth,
  nameRules,
  duplicateNames,
  pfExists,
  vfIndexRules,
  vlanIds,
  vlanConsistency,
  vlanProtoSupported,
  macShapes,
  macConflicts,
  filterLimits,
  vfMtu,
  txRates,
  trafficShares,
  mirrorRules,
  hookRules,
  unsupportedFields,
  eswitchCapacity,
];

function deepProblem(file: string): Problem {
  return {
    file,
    field: '(document)',
    value: null,
    allowed: `at most ${MAX_DEPTH} levels of nested objects and arrays`,
    fix: 'flatten the document; no nicvisor field nests that deep',
    message: `document nests deeper than ${MAX_DEPTH} levels`,
  };
}

/**
 * Validate the whole configuration at once and return every problem found: schema problems
 * of each document, then the rules that span fields, files and the driver's capabilities.
 * Rules run over the documents that parsed; when the main config does not parse, only the
 * per-document checks are possible and reported.
 */
export function validate(
  main: Sourced,
  vfs: readonly Sourced[],
  caps: CapabilityMap,
): ValidationResult {
  const problems: Problem[] = [];
  if (tooDeep(main.data)) {
    problems.push(deepProblem(main.file));
    return { problems, config: null, policies: [] };
  }
  const m = MainConfig.safeParse(main.data, { reportInput: true });
  if (!m.success) problems.push(...zodProblems(main.file, m.error, MainConfig));
  const parsed: SourcedPolicy[] = [];
  for (const v of vfs) {
    if (tooDeep(v.data)) {
      problems.push(deepProblem(v.file));
      continue;
    }
    const p = VfPolicy.safeParse(v.data, { reportInput: true });
    if (p.success) parsed.push({ file: v.file, policy: p.data });
    else problems.push(...zodProblems(v.file, p.error, VfPolicy));
  }
  if (m.success) {
    const ctx = buildContext(main.file, m.data, parsed, caps);
    for (const rule of RULES) rule(ctx, problems);
  }
  return { problems, config: m.success ? m.data : null, policies: parsed.map((s) => s.policy) };
}
