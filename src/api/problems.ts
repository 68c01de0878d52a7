/** zod issues of a request body → Problems naming the field (same format as config files). */
import type { z } from 'zod';
import { DaemonError } from '../daemon/errors.js';
import { MAX_DEPTH, type Problem, tooDeep } from '../model/index.js';

export function issuesToProblems(object: string, error: z.ZodError): Problem[] {
  return error.issues.flatMap((issue): Problem[] => {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => ({
        file: object,
        field: [...base, k].join('.'),
        value: k,
        allowed: 'a documented field',
        fix: `remove "${k}" (see /v1/openapi.json)`,
        message: `unknown field "${k}"`,
      }));
    }
    const field = base.join('.') || '(body)';
    return [
      {
        file: object,
        field,
        value: (issue as { input?: unknown }).input,
        allowed: issue.message,
        fix: `correct ${field}`,
        message: `${field}: ${issue.message}`,
      },
    ];
  });
}

/** Parse a body with a schema or throw a 400 listing every problem. */
export function parseBody<S extends z.ZodType>(
  schema: S,
  body: unknown,
  object: string,
): z.infer<S> {
  if (tooDeep(body)) {
    const message = `${object}: the body nests deeper than ${MAX_DEPTH} levels`;
    throw new DaemonError(400, message, [
      {
        file: object,
        field: '(body)',
        value: null,
        allowed: `at most ${MAX_DEPTH} levels of nesting`,
        fix: 'send the documented shape (see /v1/openapi.json)',
        message,
      },
    ]);
  }
  const r = schema.safeParse(body, { reportInput: true });
  if (r.success) return r.data;
  const problems = issuesToProblems(object, r.error);
  throw new DaemonError(400, `${object}: ${problems.map((p) => p.message).join('; ')}`, problems);
}
