import type { Command } from 'commander';

/** Every sub-command; each module exports `register(program)`. */
export const commands: ((program: Command) => void)[] = [];
