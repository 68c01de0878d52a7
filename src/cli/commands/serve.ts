import type { Command } from 'commander';
import { serve } from '../serve.js';

export function register(program: Command): void {
  program
    .command('serve')
    .description('run the daemon (without --config: the embedded demo on the simulated NIC)')
    .option('--config <file>', 'main config file, e.g. /etc/nicvisor/nicvisor.json')
    .option('--state-dir <dir>', 'override daemon.stateDir (VF policies, guest state, audit log)')
    .option('--socket <path>', 'override daemon.socket (API Unix socket)')
    .action(async (opts: { config?: string; stateDir?: string; socket?: string }) => {
      await serve(opts);
    });
}
