import type { Command } from 'commander';
import { register as importVfd } from './import-vfd.js';
import { register as validate } from './validate.js';

/** Every sub-command; each module exports `register(program)`. */
export const commands: ((program: Command) => void)[] = [validate, importVfd];
