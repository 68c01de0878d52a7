/** Errors the daemon service throws; the API maps `status` to the HTTP status code. */
import type { Problem } from '../model/index.js';

export class DaemonError extends Error {
  readonly status: number;
  readonly problems?: Problem[];
  constructor(status: number, message: string, problems?: Problem[]) {
    super(message);
    this.name = 'DaemonError';
    this.status = status;
    this.problems = problems;
  }
}

export function notFound(name: string): DaemonError {
  return new DaemonError(
    404,
    `VF ${JSON.stringify(name)} has no policy: list them with \`nicvisor show vfs\` or add one with \`nicvisor apply -f FILE\``,
  );
}
