/**
 * Errors the daemon's operations throw. Each has a kind saying what went wrong in the
 * daemon's own terms; the API maps kinds to HTTP status codes in one place (api/errors.ts),
 * so nothing here knows about HTTP.
 */
import type { ErrorKind, Problem } from '../model/index.js';

export class DaemonError extends Error {
  readonly kind: ErrorKind;
  readonly problems?: Problem[];
  constructor(kind: ErrorKind, message: string, problems?: Problem[]) {
    super(message);
    this.name = 'DaemonError';
    this.kind = kind;
    this.problems = problems;
  }
}

export function notFound(name: string): DaemonError {
  return new DaemonError(
    'notFound',
    `VF ${JSON.stringify(name)} has no policy: list them with \`nicvisor show vfs\` or add one with \`nicvisor apply -f FILE\``,
  );
}
