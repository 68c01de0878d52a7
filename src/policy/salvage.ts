/**
 * The fields of a document that parsed, when the document as a whole did not. A type error
 * in one field must not hide the range and cross-file problems of every other field (an
 * operator fixing eleven broken files should not find fourteen more afterwards), so the
 * rules also run over what could be salvaged: each field parsed on its own, array elements
 * one by one (a string VLAN does not hide VLAN 0 beside it), nested objects the same way.
 *
 * Rules then report problems in salvaged coordinates; `restore` maps a problem's field back
 * to the document (a dropped array element shifts indices) and drops problems about fields
 * that were replaced by their default (their own schema problem says what is wrong).
 * Written here rather than taken from zod: zod stops a failed object parse as a whole.
 */
import type { z } from 'zod';
import { isRecord } from '../model/index.js';
import { type AnySchema, defOf, unwrap } from './zod-schema.js';

export interface Salvaged<T> {
  value: T;
  /** Dotted paths (salvaged coordinates) of fields that fell back to their default. */
  broken: Set<string>;
  /** Dotted path of an array (salvaged coordinates) → original index of each kept element. */
  kept: Map<string, number[]>;
}

type Found = { ok: true; value: unknown } | { ok: false };

/**
 * What was salvaged must itself be valid under the schema (an array emptied of its bad
 * elements can be too short), so the rules only ever see values their schema accepts.
 */
function valid(schema: AnySchema, value: unknown): Found {
  const r = (schema as z.ZodType).safeParse(value);
  return r.success ? { ok: true, value: r.data } : { ok: false };
}

function salvageValue(schema: AnySchema, data: unknown, at: string, out: Salvaged<unknown>): Found {
  const whole = (schema as z.ZodType).safeParse(data);
  if (whole.success) return { ok: true, value: whole.data };
  const inner = unwrap(schema);
  const d = defOf(inner);
  if (d.type === 'object' && d.shape && isRecord(data))
    return salvageObject(d.shape, data, at, out);
  if (d.type === 'array' && d.element && Array.isArray(data)) {
    const keep: unknown[] = [];
    const idx: number[] = [];
    data.forEach((el, i) => {
      const r = salvageValue(d.element!, el, `${at}.${keep.length}`, out);
      if (!r.ok) return;
      keep.push(r.value);
      idx.push(i);
    });
    out.kept.set(at, idx);
    return valid(schema, keep);
  }
  return { ok: false };
}

function salvageObject(
  shape: Record<string, AnySchema>,
  data: Record<string, unknown>,
  at: string,
  out: Salvaged<unknown>,
): Found {
  const value: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(shape)) {
    const path = at ? `${at}.${key}` : key;
    const r = key in data ? salvageValue(field, data[key], path, out) : { ok: false as const };
    if (r.ok) {
      if (r.value !== undefined) value[key] = r.value;
      continue;
    }
    // Broken or missing: its default, if it has one; a required field cannot be salvaged.
    const dflt = (field as z.ZodType).safeParse(undefined);
    if (!dflt.success) return { ok: false };
    if (dflt.data !== undefined) value[key] = dflt.data;
    if (key in data) out.broken.add(path);
  }
  return { ok: true, value };
}

/** What of `data` parses under an object schema, or null when a required field does not. */
export function salvage<T>(schema: z.ZodType<T>, data: unknown): Salvaged<T> | null {
  const out: Salvaged<unknown> = { value: undefined, broken: new Set(), kept: new Map() };
  const d = defOf(unwrap(schema as AnySchema));
  if (d.type !== 'object' || !d.shape || !isRecord(data)) return null;
  const r = salvageObject(d.shape, data, '', out);
  const v = r.ok ? valid(schema as AnySchema, r.value) : r;
  if (!v.ok) return null;
  out.value = v.value;
  return out as Salvaged<T>;
}

/**
 * A rule problem's field in the document's own coordinates, or null when it is about a
 * field that fell back to its default.
 */
export function restore(s: Salvaged<unknown>, field: string): string | null {
  const parts = field.split('.');
  const original: string[] = [];
  let salvaged = '';
  for (const part of parts) {
    const idx = s.kept.get(salvaged);
    original.push(idx && /^\d+$/.test(part) ? String(idx[Number(part)] ?? part) : part);
    salvaged = salvaged ? `${salvaged}.${part}` : part;
    if (s.broken.has(salvaged)) return null;
  }
  return original.join('.');
}
