import type { Command } from 'commander';
import { type ConnectOptions, withClient } from '../connect.js';
import { CliError, EXIT, emit } from '../output.js';
import { historyTable } from './stats.js';

/** `nicvisor history NAME`: the rates the dashboard plots (GET /v1/vfs/NAME/history). */
export function register(program: Command): void {
  program
    .command('history')
    .argument('<name>', 'VF name')
    .description("a VF's packet and byte rates over the last minutes, one row per stats read")
    .option('--since <ms>', 'only samples after this time (ms since the epoch)')
    .action(async (name: string, opts: ConnectOptions & { since?: string }) => {
      const since = opts.since === undefined ? undefined : Number(opts.since);
      if (since !== undefined && (!Number.isInteger(since) || since < 0))
        throw new CliError(
          `--since ${opts.since} is not a time in ms since the epoch (a whole number ≥ 0)`,
          EXIT.usage,
        );
      await withClient(opts, async (c) => {
        const h = await c.history(name, since);
        emit(opts, h, () => historyTable(h));
      });
    });
}
