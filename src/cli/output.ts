/**
 * How every command answers: a human text or, with the global `--json`, the API's JSON
 * answer on stdout; and the exit codes the help page promises.
 */
import type { ApiError, Problem } from '../model/index.js';
import { formatProblem } from '../model/plain.js';

/** Exit codes of `nicvisor` (listed in `nicvisor --help` and the man page). */
export const EXIT = {
  ok: 0,
  /** Refused, invalid, not found, or the daemon failed. */
  error: 1,
  /** Bad command line (unknown command or option, missing argument). */
  usage: 2,
  /** A guest request was answered nack (or rate-limited). */
  nack: 3,
  /** The daemon could not be reached (no socket, connection refused, permission denied). */
  unreachable: 4,
} as const;

export const EXIT_CODES_HELP = [
  ['0', 'success'],
  ['1', 'error: refused, invalid, not found, or the daemon failed'],
  ['2', 'usage: unknown command or option, missing argument'],
  ['3', 'nack: a guest request was refused (or rate-limited)'],
  ['4', 'unreachable: no daemon at the socket or URL, or permission denied'],
] as const;

/** An error that carries its exit code and, for `--json`, the body to print. */
export class CliError extends Error {
  readonly exitCode: number;
  readonly body: ApiError;
  constructor(message: string, exitCode: number = EXIT.error, body?: ApiError) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.body = body ?? { error: message };
  }
}

/** A refusal with its problems, each printed once: headline, then one line per problem. */
export function refusal(headline: string, problems: Problem[]): CliError {
  const lines = problems.map((p) => `  - ${formatProblem(p)}`);
  const n = `${lines.length} problem${lines.length === 1 ? '' : 's'}`;
  return new CliError(`${headline} (${n}):\n${lines.join('\n')}`, EXIT.error, {
    error: headline,
    problems,
  });
}

export interface OutputOptions {
  json?: boolean;
}

/** Print `value` as JSON with --json, else the human text. */
export function emit(opts: OutputOptions, value: unknown, human: () => string): void {
  const text = opts.json ? JSON.stringify(value, null, 2) : human();
  if (text !== '') process.stdout.write(`${text}\n`);
}
