/**
 * One thing wrong with a configuration or request. Every problem names the file (or API
 * object), the field, the bad value, the allowed range and a fix, so an operator can act on
 * it without reading the source (STYLE.md #11).
 */
export interface Problem {
  /** File path or API object (`vfs/web-1`) the problem is in. */
  file: string;
  /** Dotted path of the field, e.g. `vlans.2` or `pfs.0.numVfs`. */
  field: string;
  /** The offending value, as found. */
  value: unknown;
  /** What would be accepted, e.g. `1-4094`. */
  allowed: string;
  /** What to do about it. */
  fix: string;
  /** One-line human summary: `vf 7 on 0000:08:00.0: vlan 5000 is out of range 1-4094`. */
  message: string;
}

/** Renders a problem the way the CLI and logs print it. */
export function formatProblem(p: Problem): string {
  return `${p.file}: ${p.field}: ${p.message} (allowed: ${p.allowed}; fix: ${p.fix})`;
}

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
