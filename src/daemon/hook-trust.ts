/**
 * Hook programs of proposed VF policies that root must not run (trust.ts), as Problems, so
 * a policy naming `/tmp/x` or a world-writable script is refused when it is submitted or
 * read, not only when its hook would run.
 */
import { isRecord, type Problem, type Sourced } from '../model/index.js';
import { distrustProgram } from './trust.js';

const FIELDS = ['onStart', 'onStop'] as const;

export async function hookProblems(docs: readonly Sourced[]): Promise<Problem[]> {
  const out: Problem[] = [];
  for (const doc of docs) {
    if (!isRecord(doc.data)) continue;
    for (const field of FIELDS) {
      const argv = doc.data[field];
      if (!Array.isArray(argv) || typeof argv[0] !== 'string') continue;
      // Relative or NUL-holding argv[0] is the policy's own problem (rules/mirror.ts).
      if (!argv[0].startsWith('/') || argv[0].includes('\u0000')) continue;
      const d = await distrustProgram(argv[0]);
      if (!d) continue;
      const name = typeof doc.data.name === 'string' ? doc.data.name : doc.file;
      out.push({
        file: doc.file,
        field: `${field}.0`,
        value: argv[0],
        allowed:
          'a program owned by root or the daemon user, writable only by them, in directories only they can write',
        fix: d.fix,
        message: `VF ${name}: ${field} program refused: ${d.what}`,
      });
    }
  }
  return out;
}
