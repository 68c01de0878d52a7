import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('cni')
    .description('CNI 1.0 plugin (ADD/DEL/CHECK/VERSION from CNI_* and the netconf on stdin)')
    .action(async () => {
      // Loaded here, as every command's heavy part is: `serve` carries all the commands'
      // definitions, not their code (bench/daemon.ts: the daemon's RSS).
      // Through `default` (module.exports): the bundle (scripts/bundle.ts) gives an imported
      // CommonJS module only that, where node's own loader also guesses named exports.
      const { default: cni } = await import('../cni/main.cjs');
      await cni.cniMain();
    });
}
