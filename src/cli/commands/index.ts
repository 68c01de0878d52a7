import type { Command } from 'commander';
import * as admin from './admin.js';
import * as apply from './apply.js';
import * as cni from './cni.js';
import * as del from './delete.js';
import * as docs from './docs.js';
import * as events from './events.js';
import * as fleet from './fleet.js';
import * as history from './history.js';
import { register as importVfd } from './import-vfd.js';
import * as migrate from './migrate.js';
import * as mirror from './mirror.js';
import * as pools from './pools.js';
import * as request from './request.js';
import * as serve from './serve.js';
import * as show from './show.js';
import { register as validate } from './validate.js';

/** Every sub-command; each module exports `register(program)`. */
export const commands: ((program: Command) => void)[] = [
  serve.register,
  show.register,
  apply.register,
  del.register,
  mirror.register,
  request.register,
  events.register,
  history.register,
  admin.register,
  validate,
  importVfd,
  docs.register,
  pools.register,
  migrate.register,
  cni.register,
  fleet.register,
];
