import type { Command } from 'commander';
import { type ConnectOptions, withClient } from '../connect.js';
import { emit } from '../output.js';

export function register(program: Command): void {
  program
    .command('delete')
    .argument('<name>', 'VF policy name')
    .description('delete a VF policy and give the VF back')
    .action(async (name: string, opts: ConnectOptions) => {
      await withClient(opts, async (c) => {
        const r = await c.deleteVf(name);
        emit(opts, r, () => `deleted ${r.deleted}`);
      });
    });
}
