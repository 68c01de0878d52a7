import { z } from 'zod';
import { formatProblem } from './plain.js';

/**
 * One thing wrong with a configuration or request. Every problem names the file (or API
 * object), the field, the bad value, the allowed range and a fix, so an operator can act on
 * it without reading the source.
 */
export const Problem = z
  .object({
    file: z.string().describe('File path or API object (`vfs/web-1`) the problem is in.'),
    field: z.string().describe('Dotted path of the field, e.g. `vlans.2` or `pfs.0.numVfs`.'),
    value: z.unknown().describe('The offending value, as found.'),
    allowed: z.string().describe('What would be accepted, e.g. `1-4094`.'),
    fix: z.string().describe('What to do about it.'),
    message: z
      .string()
      .describe('One-line summary: `vf 7 on 0000:08:00.0: vlan 5000 is out of range 1-4094`.'),
  })
  .describe('One thing wrong with a configuration or request.');
export type Problem = z.infer<typeof Problem>;

/** An error that carries every problem found, for callers that must refuse a change as a whole. */
export class ValidationError extends Error {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    super(
      `${problems.length} problem${problems.length === 1 ? '' : 's'}:\n` +
        problems.map((p) => `  - ${formatProblem(p)}`).join('\n'),
    );
    this.name = 'ValidationError';
    this.problems = problems;
  }
}
