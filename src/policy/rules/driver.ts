import {
  type FieldLimit,
  NEUTRAL_PF_VALUES,
  NEUTRAL_VF_VALUES,
  type PfPolicyField,
  type VfPolicyField,
} from '../../model/index.js';
import { pfOf, pfProblem, type Rule, show, vfProblem } from './context.js';
import { switchdevCaps, switchdevFix } from './switchdev.js';

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function expected(
  limit: FieldLimit,
  neutral: unknown,
  record: Record<string, unknown>,
): { value: unknown; text: string } {
  if (limit.sameAs) {
    const value = record[limit.sameAs];
    return { value, text: `${show(value)} (equal to ${limit.sameAs})` };
  }
  const value = 'only' in limit ? limit.only : neutral;
  return { value, text: value === undefined ? 'unset' : show(value) };
}

/** Whether a limit table refuses this value of the field. */
function refuses(
  limits: Partial<Record<string, FieldLimit>>,
  field: string,
  neutral: unknown,
  record: Record<string, unknown>,
): boolean {
  const limit = limits[field];
  return limit !== undefined && !same(record[field], expected(limit, neutral, record).value);
}

/**
 * A field the driver cannot enforce is refused, naming field, PF and driver, unless it holds
 * the one value the driver can live with (`only`, `sameAs`, or the field's neutral value).
 * Never silently ignored (DESIGN.md, Capabilities).
 */
export const unsupportedFields: Rule = (ctx, out) => {
  for (const s of ctx.vfs) {
    const caps = ctx.caps.get(s.policy.pf);
    if (!caps) continue;
    const record = s.policy as unknown as Record<string, unknown>;
    for (const [field, limit] of Object.entries(caps.unsupportedVfFields)) {
      if (!limit) continue;
      const neutral = NEUTRAL_VF_VALUES[field as VfPolicyField];
      const want = expected(limit, neutral, record);
      if (same(record[field], want.value)) continue;
      const sd = switchdevCaps(ctx, s.policy.pf);
      const lifted = sd !== null && !refuses(sd.unsupportedVfFields, field, neutral, record);
      const fix = `set ${field} ${want.value === undefined ? 'unset (remove it)' : `to ${want.text}`}, or move the VF to a PF whose driver supports it`;
      out.push(
        vfProblem(s, {
          field,
          value: record[field],
          allowed: want.text,
          fix: lifted ? `${switchdevFix(s.policy.pf)}, or ${fix}` : fix,
          what: `driver ${caps.driver} cannot enforce ${field} = ${show(record[field])}${lifted ? ' in legacy mode' : ''}: ${limit.reason}`,
        }),
      );
    }
  }
  for (const pf of ctx.config.pfs) {
    const caps = ctx.caps.get(pf.pf);
    if (!caps || !pfOf(ctx, pf.pf)) continue;
    const record = pf as unknown as Record<string, unknown>;
    for (const [field, limit] of Object.entries(caps.unsupportedPfFields)) {
      if (!limit) continue;
      const neutral = NEUTRAL_PF_VALUES[field as PfPolicyField];
      const want = expected(limit, neutral, record);
      if (same(record[field], want.value)) continue;
      out.push(
        pfProblem(ctx, pf.pf, {
          field,
          value: record[field],
          allowed: want.text,
          fix: `set ${field} ${want.value === undefined ? 'unset (remove it)' : `to ${want.text}`}`,
          what: `driver ${caps.driver} cannot enforce ${field} = ${show(record[field])}: ${limit.reason}`,
        }),
      );
    }
  }
};
