#!/usr/bin/env node
/**
 * The CNI plugin binary (`nicvisor-cni`, installed into CNI_PATH): the runtime calls it with
 * CNI_* variables and the netconf on stdin. Kept apart from the full CLI so a container start
 * does not load every command. `nicvisor cni` runs the same code.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runCni, trace } from './plugin.js';

export async function cniMain(): Promise<never> {
  const chunks: Buffer[] = [];
  if (process.env.CNI_COMMAND !== 'VERSION')
    for await (const c of process.stdin) chunks.push(c as Buffer);
  const r = await runCni({ env: process.env, stdin: Buffer.concat(chunks).toString('utf8') });
  if (r.stdout) process.stdout.write(`${r.stdout}\n`);
  trace('exiting');
  process.exit(r.code);
}

// Run when started as the binary (through the CNI_PATH symlink too), not when imported.
const self = fileURLToPath(import.meta.url);
if (process.argv[1] && realpathSync(process.argv[1]) === self) await cniMain();
