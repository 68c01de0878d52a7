#!/usr/bin/env node
/**
 * The `nicvisor` command. Each sub-command lives in its own module under commands/ and
 * registers itself on the program; errors go to stderr with a non-zero exit (VFd's iplex
 * exited 0 on errors).
 */
import { Command } from 'commander';
import { commands } from './commands/index.js';

const program = new Command();
program
  .name('nicvisor')
  .description('SR-IOV NIC hypervisor: VF policy, guest requests, counters')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

for (const register of commands) register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const e = err as { code?: string; exitCode?: number; message?: string };
  if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') process.exit(0);
  if (e.code?.startsWith('commander.')) process.exit(e.exitCode ?? 2);
  process.stderr.write(`nicvisor: ${e.message ?? String(err)}\n`);
  process.exit(1);
}
