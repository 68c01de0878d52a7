/**
 * The command tree as plain data, read from the commander definitions, so the shell
 * completions and the man page can never disagree with `--help`.
 */
import type { EventEmitter } from 'node:events';
import type { Argument, Command, Option } from 'commander';

/** What a value is completed with: fixed words, VF names, file names, or nothing. */
export type ValueKind =
  | { kind: 'words'; words: string[] }
  | { kind: 'vfs'; words: string[] }
  | { kind: 'files' }
  | { kind: 'none' };

export interface OptionSpec {
  flags: string;
  long?: string;
  short?: string;
  description: string;
  takesValue: boolean;
  value: ValueKind;
}

export interface ArgSpec {
  name: string;
  required: boolean;
  variadic: boolean;
  description: string;
  value: ValueKind;
}

export interface CommandSpec {
  name: string;
  usage: string;
  description: string;
  options: OptionSpec[];
  args: ArgSpec[];
  /** Text added after the command's help (its examples). */
  after: string;
}

export interface ProgramSpec {
  name: string;
  version: string;
  description: string;
  globals: OptionSpec[];
  commands: CommandSpec[];
}

const FILE_NAMES =
  /^(path|paths|file|dir|config|state-dir|socket|vfdCfg|vfdConfigDir|outDir|review)$/i;
const VF_NAMES = /^(vf|name|to|target)$/;
/** Arguments that take a keyword or a VF name (show's first argument). */
const KEYWORDS: Record<string, string[]> = { 'show.what': ['vfs', 'pfs', 'stats', 'rules'] };

function valueKind(where: string, name: string, choices: readonly string[] | undefined): ValueKind {
  if (choices && choices.length > 0) return { kind: 'words', words: [...choices] };
  const words = KEYWORDS[where];
  if (words) return { kind: 'vfs', words };
  if (VF_NAMES.test(name)) return { kind: 'vfs', words: [] };
  if (FILE_NAMES.test(name)) return { kind: 'files' };
  return { kind: 'none' };
}

function option(cmd: string, o: Option): OptionSpec {
  const name = (o.long ?? o.short ?? '').replace(/^-+/, '');
  const takesValue = o.required || o.optional;
  return {
    flags: o.flags,
    long: o.long,
    short: o.short,
    description: o.description,
    takesValue,
    value: takesValue ? valueKind(`${cmd}.${name}`, name, o.argChoices) : { kind: 'none' },
  };
}

function argument(cmd: string, a: Argument): ArgSpec {
  return {
    name: a.name(),
    required: a.required,
    variadic: a.variadic,
    description: a.description,
    value: valueKind(`${cmd}.${a.name()}`, a.name(), a.argChoices),
  };
}

/** Help text a command added after its own help (examples), read through commander. */
function afterText(c: Command): string {
  let text = '';
  // addHelpText registers an 'afterHelp' listener; Command is an EventEmitter.
  (c as unknown as EventEmitter).emit('afterHelp', {
    error: false,
    command: c,
    write: (s: string) => {
      text += s;
    },
  });
  return text.trim();
}

interface HiddenCommand extends Command {
  _hidden?: boolean;
}

export function programSpec(program: Command): ProgramSpec {
  return {
    name: program.name(),
    version: program.version() ?? '',
    description: program.description(),
    globals: program.options.map((o) => option('', o)),
    commands: program.commands
      .filter((c) => !(c as HiddenCommand)._hidden)
      .map((c) => ({
        name: c.name(),
        usage: c.usage(),
        description: c.description(),
        options: c.options.map((o) => option(c.name(), o)),
        args: c.registeredArguments.map((a) => argument(c.name(), a)),
        after: afterText(c),
      })),
  };
}
