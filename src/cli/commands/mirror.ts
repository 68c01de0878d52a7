import type { Command } from 'commander';
import { type ConnectOptions, withClient, withConnection } from '../connect.js';

export function register(program: Command): void {
  withConnection(
    program
      .command('mirror')
      .argument('<vf>', 'VF whose traffic is copied')
      .argument('<direction>', 'in, out, all, or off')
      .option('--to <target>', 'VF that receives the copies (same PF)')
      .description('mirror a VF to another VF, or stop (off)'),
  ).action(async (vf: string, direction: string, opts: ConnectOptions & { to?: string }) => {
    if (!['in', 'out', 'all', 'off'].includes(direction)) {
      throw new Error(`direction "${direction}" is not one of in, out, all, off`);
    }
    await withClient(opts, async (c) => {
      if (direction === 'off') {
        const r = await c.clearMirror(vf);
        process.stdout.write(`${vf}: mirror off (${r.changed ? 'changed' : 'was off'})\n`);
        return;
      }
      if (!opts.to)
        throw new Error(
          `mirror ${vf} ${direction} needs --to TARGET (the VF that receives the copies)`,
        );
      const r = await c.setMirror(vf, {
        target: opts.to,
        direction: direction as 'in' | 'out' | 'all',
      });
      process.stdout.write(
        `${vf}: mirror ${direction} to ${opts.to} (${r.vf?.status.syncState ?? '?'})\n`,
      );
    });
  });
}
