/**
 * Reading zod schemas as data (zod 4's `_zod.def`): what a field's schema is under its
 * optional/default wrappers, and which schema validates a path. Used to name allowed ranges
 * in problems and to salvage what parsed of a document.
 */
import type { z } from 'zod';

export type AnySchema = z.core.$ZodType;

export interface Def {
  type: string;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  innerType?: AnySchema;
  in?: AnySchema;
  options?: AnySchema[];
}

export function defOf(s: AnySchema): Def {
  return s._zod.def as unknown as Def;
}

/** Strips optional/default/nullable/pipe wrappers. */
export function unwrap(s: AnySchema): AnySchema {
  let cur = s;
  for (let i = 0; i < 10; i++) {
    const d = defOf(cur);
    if (d.innerType) cur = d.innerType;
    else if (d.type === 'pipe' && d.in) cur = d.in;
    else break;
  }
  return cur;
}

/** The schema that validates the value at `path`, when the path leads through objects/arrays. */
export function schemaAt(root: AnySchema, path: readonly PropertyKey[]): AnySchema | null {
  let cur: AnySchema | null = unwrap(root);
  for (const key of path) {
    if (!cur) return null;
    const d = defOf(cur);
    if (d.type === 'object' && d.shape && typeof key === 'string') cur = d.shape[key] ?? null;
    else if (d.type === 'array' && d.element && typeof key === 'number') cur = d.element;
    else return null;
    if (cur) cur = unwrap(cur);
  }
  return cur;
}

/** Keys an object schema at `path` accepts (for naming unknown fields and suggesting fixes). */
export function knownKeys(root: AnySchema, path: readonly PropertyKey[]): string[] {
  const s = schemaAt(root, path);
  const d = s ? defOf(s) : null;
  return d?.type === 'object' && d.shape ? Object.keys(d.shape) : [];
}
