/**
 * Request bodies are parsed here, each with the schema /v1/openapi.json publishes for it, so
 * the daemon only ever sees typed values. A body that does not parse is refused (`invalid`)
 * with every problem, in the same form as problems of configuration files.
 */
import type { z } from 'zod';
import { DaemonError } from '../daemon/errors.js';
import { type Problem, tooDeep, tooDeepProblem } from '../model/index.js';
import { zodProblems } from '../policy/zod-problems.js';

function refuse(object: string, problems: Problem[]): never {
  throw new DaemonError(
    'invalid',
    `${object}: ${problems.map((p) => p.message).join('; ')}`,
    problems,
  );
}

/**
 * Parse a body with its schema or throw `invalid` listing every problem. `more`, when
 * given, adds the problems a dry run of the whole change finds (ranges, cross-VF rules), so
 * a type error in one field does not hide the rest.
 */
export function parseBody<S extends z.ZodType>(
  schema: S,
  body: unknown,
  object: string,
  more?: () => Problem[],
): z.infer<S> {
  // Recursive walkers (zod's included) overflow the stack on hostile nesting: check first.
  if (tooDeep(body)) refuse(object, [tooDeepProblem(object, '(body)')]);
  const r = schema.safeParse(body, { reportInput: true });
  if (r.success) return r.data;
  const own = zodProblems(object, r.error, schema, '(body)');
  const extra = more?.() ?? [];
  const seen = new Set(own.map((p) => `${p.field}\u0000${p.message}`));
  refuse(object, [...own, ...extra.filter((p) => !seen.has(`${p.field}\u0000${p.message}`))]);
}
