/** Something from a VFd file that nicvisor could not carry over as is, and why. */
export interface ImportNote {
  file: string;
  key: string;
  note: string;
}

/** VFd files carry free-form comments as `comment`, `comments` or `*_comment` keys. */
export function isCommentKey(key: string): boolean {
  return key === 'comment' || key === 'comments' || key.endsWith('_comment');
}

export type Json = Record<string, unknown>;

export function asObject(v: unknown): Json | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null;
}

/** Characters that mean a command needs a shell (VFd ran its callbacks through one). */
const SHELL_SYNTAX = /[;&|<>`$(){}[\]*?~'"\\#!\n]/;

/**
 * A VFd `start_cb`/`stop_cb` command line as an argv, when it is a plain program with plain
 * arguments. Anything a shell would interpret (quotes, pipes, variables, globs, `;`) cannot
 * be split faithfully, so it is refused with the reason.
 */
export function shellToArgv(command: string): { argv: string[] } | { reason: string } {
  const trimmed = command.trim();
  if (trimmed === '') return { reason: 'the command is empty' };
  const m = SHELL_SYNTAX.exec(trimmed);
  if (m) {
    return {
      reason: `it uses shell syntax (${JSON.stringify(m[0])}) and nicvisor runs hooks without a shell; put the command in a script and name the script`,
    };
  }
  const argv = trimmed.split(/\s+/);
  if (!argv[0].startsWith('/')) {
    return { reason: `"${argv[0]}" is not an absolute path; hooks are not looked up in PATH` };
  }
  return { argv };
}
