import type { z } from 'zod';
import type { Problem } from '../model/index.js';
import { type AnySchema, defOf, knownKeys, schemaAt } from './zod-schema.js';

/**
 * Turns zod issues into Problems an operator can act on: the allowed range is read from the
 * issue (min/max, enum options, expected type) and, where the issue lacks it, from the schema
 * at the issue's path, so `vf: 300` says `0-255` and not only `<=255`.
 */

type Issue = z.core.$ZodIssue & { input?: unknown };

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

/** The known key closest to a misspelt one (`vlan` → `vlans`), if any is close. */
export function closestKey(key: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best !== null && bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : null;
}

function numberRange(s: AnySchema | null): string | null {
  if (!s) return null;
  const n = s as unknown as { minValue?: number | null; maxValue?: number | null; isInt?: boolean };
  if (defOf(s).type !== 'number') return null;
  const lo =
    n.minValue != null && Number.isFinite(n.minValue) && n.minValue > -Number.MAX_SAFE_INTEGER;
  const hi =
    n.maxValue != null && Number.isFinite(n.maxValue) && n.maxValue < Number.MAX_SAFE_INTEGER;
  const kind = n.isInt ? 'integer' : 'number';
  if (lo && hi) return `${kind} ${n.minValue}-${n.maxValue}`;
  if (lo) return `${kind} >= ${n.minValue}`;
  if (hi) return `${kind} <= ${n.maxValue}`;
  return kind;
}

const HOOK_FIELDS = new Set(['onStart', 'onStop']);

/** Where the issues come from: the file (or API object), its schema, and what the whole value is called. */
interface Source {
  file: string;
  root: AnySchema;
  /** `(document)` for files, `(body)` for API bodies. */
  whole: string;
}

function fieldOf(src: Source, path: readonly PropertyKey[]): string {
  return path.map(String).join('.') || src.whole;
}

function show(v: unknown): string {
  return v === undefined ? 'nothing' : JSON.stringify(v);
}

function typeProblem(src: Source, issue: Issue): Problem {
  const { file, root } = src;
  const field = fieldOf(src, issue.path);
  const expected = 'expected' in issue ? String(issue.expected) : 'another type';
  const last = issue.path[issue.path.length - 1];
  if (issue.input === undefined) {
    return {
      file,
      field,
      value: undefined,
      allowed: expected,
      fix: `add "${String(last)}"`,
      message: `required field ${field} is missing`,
    };
  }
  if (HOOK_FIELDS.has(String(last)) && typeof issue.input === 'string') {
    return {
      file,
      field,
      value: issue.input,
      allowed: 'argv array, e.g. ["/usr/local/bin/hook", "arg"]',
      fix: `write the command as an argv array (no shell): ${JSON.stringify(issue.input.trim().split(/\s+/))}`,
      message: `hook ${field} is a shell string; hooks run without a shell`,
    };
  }
  const range = expected === 'int' ? numberRange(schemaAt(root, issue.path)) : null;
  return {
    file,
    field,
    value: issue.input,
    allowed: range ?? expected,
    fix: `make ${field} ${expected === 'int' ? 'a whole number' : `a ${expected}`}`,
    message: `${field} is ${show(issue.input)}, expected ${expected}`,
  };
}

function sizeProblem(src: Source, issue: Issue): Problem {
  const { file, root } = src;
  const field = fieldOf(src, issue.path);
  const i = issue as Issue & { origin?: string; minimum?: number; maximum?: number };
  const big = issue.code === 'too_big';
  const bound = big ? i.maximum : i.minimum;
  if (i.origin === 'array' || i.origin === 'string') {
    const unit = i.origin === 'array' ? 'entries' : 'characters';
    const allowed = `${big ? 'at most' : 'at least'} ${bound} ${unit}`;
    const n = (issue.input as { length?: number } | undefined)?.length;
    return {
      file,
      field,
      value: issue.input,
      allowed,
      fix: big ? `remove entries from ${field}` : `give ${field} ${allowed}`,
      message: `${field} has ${n ?? '?'} ${unit}, ${allowed} allowed`,
    };
  }
  const allowed = numberRange(schemaAt(root, issue.path)) ?? `${big ? '<=' : '>='} ${bound}`;
  return {
    file,
    field,
    value: issue.input,
    allowed,
    fix: `set ${field} to ${big ? 'at most' : 'at least'} ${bound}`,
    message: `${field} ${show(issue.input)} is out of range ${allowed}`,
  };
}

function unknownKeyProblems(src: Source, issue: Issue): Problem[] {
  const { file, root } = src;
  const keys = (issue as Issue & { keys: string[] }).keys;
  const known = knownKeys(root, issue.path);
  const input = (issue.input ?? {}) as Record<string, unknown>;
  return keys.map((key) => {
    const near = closestKey(key, known);
    const field = fieldOf(src, [...issue.path, key]);
    return {
      file,
      field,
      value: input[key],
      allowed: known.length > 0 ? `one of ${known.join(', ')}` : 'no further fields',
      fix: near ? `did you mean "${near}"? rename the field` : `remove "${key}"`,
      message: `unknown field ${key === '' ? '"" (an empty name)' : field}`,
    };
  });
}

/** Every issue of a failed parse as Problems; `whole` names the value itself (`(body)`). */
export function zodProblems(
  file: string,
  error: z.ZodError,
  root: AnySchema,
  whole = '(document)',
): Problem[] {
  const src: Source = { file, root, whole };
  const out: Problem[] = [];
  for (const raw of error.issues) {
    const issue = raw as Issue;
    const field = fieldOf(src, issue.path);
    switch (issue.code) {
      case 'invalid_type':
        out.push(typeProblem(src, issue));
        break;
      case 'too_big':
      case 'too_small':
        out.push(sizeProblem(src, issue));
        break;
      case 'invalid_value': {
        const values = (issue as Issue & { values: unknown[] }).values.map((v) => String(v));
        const near = typeof issue.input === 'string' ? closestKey(issue.input, values) : null;
        out.push({
          file,
          field,
          value: issue.input,
          allowed: `one of ${values.join(', ')}`,
          fix: near ? `did you mean "${near}"?` : `set ${field} to one of ${values.join(', ')}`,
          message: `${field} ${show(issue.input)} is not one of ${values.join(', ')}`,
        });
        break;
      }
      case 'unrecognized_keys':
        out.push(...unknownKeyProblems(src, issue));
        break;
      case 'invalid_format': {
        const pattern = (issue as Issue & { pattern?: string }).pattern;
        out.push({
          file,
          field,
          value: issue.input,
          allowed: pattern ? `text matching ${pattern}` : String(issue.format),
          fix: `correct ${field}`,
          message: `${field} ${show(issue.input)} has the wrong format`,
        });
        break;
      }
      default:
        out.push({
          file,
          field,
          value: issue.input,
          allowed: issue.message,
          fix: `correct ${field}`,
          message: `${field}: ${issue.message}`,
        });
    }
  }
  return out;
}
