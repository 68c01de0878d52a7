import type { Command } from 'commander';
import { type ConnectOptions, withClient, withConnection } from '../connect.js';

export function register(program: Command): void {
  withConnection(
    program
      .command('delete')
      .argument('<name>', 'VF policy name')
      .description('delete a VF policy and give the VF back'),
  ).action(async (name: string, opts: ConnectOptions) => {
    await withClient(opts, async (c) => {
      const r = await c.deleteVf(name);
      process.stdout.write(`deleted ${r.deleted}\n`);
    });
  });
}
