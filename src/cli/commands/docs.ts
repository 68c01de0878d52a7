/**
 * `nicvisor completion bash|zsh` and `nicvisor man`: generated from the same commander tree
 * that parses the command line. The hidden `__names` lists VF names for the completions.
 */
import { Argument, type Command } from 'commander';
import { type ConnectOptions, withClient } from '../connect.js';
import { ENVIRONMENT, EXAMPLES } from '../help.js';
import { EXIT_CODES_HELP } from '../output.js';

const FILES = [
  ['/etc/nicvisor/nicvisor.json', 'main config: daemon settings, driver, PF policies'],
  ['/var/lib/nicvisor/vfs/NAME.json', 'one VF policy per file'],
  ['/var/lib/nicvisor/audit.log', 'every policy change and guest decision, JSON lines'],
  ['/run/nicvisor/nicvisor.sock', 'the API socket (0660, group nicvisor)'],
] as const;

/** The date on the man page: SOURCE_DATE_EPOCH for reproducible packages, else today. */
function manDate(): string {
  const epoch = Number(process.env.SOURCE_DATE_EPOCH);
  const d = Number.isFinite(epoch) && epoch > 0 ? new Date(epoch * 1000) : new Date();
  return d.toISOString().slice(0, 10);
}

export function register(program: Command): void {
  program
    .command('completion')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh']))
    .description('print the shell completion script')
    .addHelpText(
      'after',
      '\nExamples:\n  $ source <(nicvisor completion bash)\n  $ nicvisor completion zsh > ~/.zfunc/_nicvisor',
    )
    .action(async (shell: 'bash' | 'zsh') => {
      const { programSpec } = await import('../docs/spec.js');
      const spec = programSpec(program);
      const { bashCompletion } = await import('../docs/bash.js');
      const { zshCompletion } = await import('../docs/zsh.js');
      process.stdout.write(shell === 'bash' ? bashCompletion(spec) : zshCompletion(spec));
    });

  program
    .command('man')
    .description('print the nicvisor(1) man page (roff)')
    .addHelpText('after', '\nExample:\n  $ nicvisor man | man -l -')
    .action(async () => {
      const { programSpec } = await import('../docs/spec.js');
      const { manPage } = await import('../docs/man.js');
      const page = manPage(programSpec(program), {
        examples: EXAMPLES,
        exitCodes: EXIT_CODES_HELP,
        environment: ENVIRONMENT,
        files: FILES,
        date: manDate(),
      });
      process.stdout.write(page);
    });

  program
    .command('__names', { hidden: true })
    .description('VF names, one per line, for the shell completions (nothing if unreachable)')
    .action(async (opts: ConnectOptions) => {
      try {
        await withClient(opts, async (c) => {
          for (const v of await c.vfs()) process.stdout.write(`${v.name}\n`);
        });
      } catch {
        // Completion must stay quiet: no daemon, no names.
      }
    });
}
