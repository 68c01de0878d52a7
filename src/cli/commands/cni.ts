import type { Command } from 'commander';
import { cniMain } from '../cni/main.cjs';

export function register(program: Command): void {
  program
    .command('cni')
    .description('CNI 1.0 plugin (ADD/DEL/CHECK/VERSION from CNI_* and the netconf on stdin)')
    .action(async () => {
      await cniMain();
    });
}
