/**
 * Nesting depth of a parsed JSON value, measured without recursion. Hostile documents nest
 * 100,000 arrays deep: V8's JSON.parse copes, but every recursive walker after it (schema
 * checks, our own) overflows the stack. Legitimate nicvisor documents nest at most ~6 levels.
 */
export const MAX_DEPTH = 32;

/** True when `value` nests deeper than `limit` objects/arrays. */
export function tooDeep(value: unknown, limit = MAX_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d >= limit) return true;
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return false;
}
