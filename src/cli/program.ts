/**
 * The `nicvisor` command definition, built once for running, for `--help`, and for the
 * shell completions and the man page (generated from this same tree, never written by hand).
 */
import { Command } from 'commander';
import { commands } from './commands/index.js';
import { globalOptions } from './connect.js';
import { helpFooter } from './help.js';

export const VERSION = '0.1.0';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('nicvisor')
    .description('SR-IOV NIC hypervisor: VF policy, guest requests, counters')
    .version(VERSION)
    .showHelpAfterError('(nicvisor --help lists the commands, options and exit codes)')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .exitOverride();
  globalOptions(program);
  program.addHelpText('after', helpFooter());
  for (const register of commands) register(program);
  return program;
}
