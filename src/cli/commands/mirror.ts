import { Argument, type Command } from 'commander';
import { ApiRequestError } from '../client.js';
import { type ConnectOptions, withClient } from '../connect.js';
import { CliError, EXIT, emit, refusal } from '../output.js';

const DIRECTIONS = ['in', 'out', 'all', 'off'];

export function register(program: Command): void {
  program
    .command('mirror')
    .argument('<vf>', 'VF whose traffic is copied')
    .addArgument(new Argument('<direction>', 'what to copy, or off').choices(DIRECTIONS))
    .option('--to <target>', 'VF that receives the copies (same PF)')
    .description('mirror a VF to another VF, or stop (off)')
    .addHelpText(
      'after',
      '\nExample:\n  $ nicvisor mirror web-1 in --to tap\n  $ nicvisor mirror web-1 off',
    )
    .action(async (vf: string, direction: string, opts: ConnectOptions & { to?: string }) => {
      if (!DIRECTIONS.includes(direction))
        throw new CliError(
          `direction "${direction}" is not one of ${DIRECTIONS.join(', ')}`,
          EXIT.usage,
        );
      if (direction !== 'off' && !opts.to)
        throw new CliError(
          `mirror ${vf} ${direction} needs --to TARGET (the VF that receives the copies)`,
          EXIT.usage,
        );
      await withClient(opts, async (c) => {
        try {
          if (direction === 'off') {
            const r = await c.clearMirror(vf);
            emit(opts, r, () => `${vf}: mirror off (${r.changed ? 'changed' : 'was off'})`);
            return;
          }
          const target = opts.to as string;
          const r = await c.setMirror(vf, { target, direction: direction as 'in' | 'out' | 'all' });
          emit(
            opts,
            r,
            () => `${vf}: mirror ${direction} to ${target} (${r.vf?.status.syncState ?? '?'})`,
          );
        } catch (err) {
          if (err instanceof ApiRequestError && err.body.problems?.length)
            throw refusal(`mirror of ${vf} refused, nothing was changed`, err.body.problems);
          throw err;
        }
      });
    });
}
