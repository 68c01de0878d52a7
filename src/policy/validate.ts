import type { z } from 'zod';
import {
  type GuestState,
  MainConfig,
  type Problem,
  type Sourced,
  tooDeep,
  tooDeepProblem,
  VfPolicy,
} from '../model/index.js';
import { poolRules } from './pools/rules.js';
import {
  buildContext,
  type CapabilityMap,
  type Rule,
  type SourcedPolicy,
} from './rules/context.js';
import { unsupportedFields } from './rules/driver.js';
import { eswitchCapacity } from './rules/eswitch.js';
import { guardedTrust, haPairs } from './rules/ha.js';
import { duplicateNames, nameRules, pfExists, vfIndexRules } from './rules/identity.js';
import { lagRules } from './rules/lag.js';
import { filterLimits } from './rules/limits.js';
import { macConflicts, macShapes } from './rules/macs.js';
import { hookRules, mirrorRules } from './rules/mirror.js';
import { pfRules, trafficClassBandwidth } from './rules/pf.js';
import { trafficShares, txRates, vfMtu } from './rules/rates.js';
import { vlanConsistency, vlanIds, vlanProtoSupported } from './rules/vlans.js';
import { restore, type Salvaged, salvage } from './salvage.js';
import { zodProblems } from './zod-problems.js';

export type { Sourced } from '../model/index.js';
export type { CapabilityMap } from './rules/context.js';

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
  poolRules,
  lagRules,
  haPairs,
  guardedTrust,
];

/** A document's schema problems, and what of it the rules can still check. */
function parseDoc<T>(
  doc: Sourced,
  schema: z.ZodType<T>,
  problems: Problem[],
  salvaged: Map<string, Salvaged<unknown>>,
): { value: T; whole: boolean } | null {
  if (tooDeep(doc.data)) {
    problems.push(tooDeepProblem(doc.file));
    return null;
  }
  const r = schema.safeParse(doc.data, { reportInput: true });
  if (r.success) return { value: r.data, whole: true };
  problems.push(...zodProblems(doc.file, r.error, schema));
  const s = salvage(schema, doc.data);
  if (!s) return null;
  salvaged.set(doc.file, s);
  return { value: s.value, whole: false };
}

/** Rule problems of salvaged documents, in the documents' own coordinates. */
function restored(found: Problem[], salvaged: Map<string, Salvaged<unknown>>): Problem[] {
  return found.flatMap((p) => {
    const s = salvaged.get(p.file);
    if (!s) return [p];
    const field = restore(s, p.field);
    return field === null ? [] : [{ ...p, field }];
  });
}

/**
 * Validate the whole configuration at once and return every problem found: schema problems
 * of each document, then the rules that span fields, files and the driver's capabilities.
 * The rules also run over what parsed of a document that did not (salvage.ts), so one bad
 * field hides nothing else. `guests` (what guests were granted) lets the duplicate-MAC rule
 * see MACs guests hold. Only documents that parsed whole are returned as parsed.
 */
export function validate(
  main: Sourced,
  vfs: readonly Sourced[],
  caps: CapabilityMap,
  guests: ReadonlyMap<string, GuestState> = new Map(),
): ValidationResult {
  const problems: Problem[] = [];
  const salvaged = new Map<string, Salvaged<unknown>>();
  const m = parseDoc(main, MainConfig, problems, salvaged);
  const checked: SourcedPolicy[] = [];
  const policies: VfPolicy[] = [];
  for (const v of vfs) {
    const p = parseDoc(v, VfPolicy, problems, salvaged);
    if (!p) continue;
    checked.push({ file: v.file, policy: p.value });
    if (p.whole) policies.push(p.value);
  }
  if (m) {
    const ctx = buildContext(main.file, m.value, checked, caps, guests);
    const found: Problem[] = [];
    for (const rule of RULES) rule(ctx, found);
    problems.push(...restored(found, salvaged));
  }
  return { problems, config: m?.whole ? m.value : null, policies };
}
