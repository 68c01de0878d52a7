#!/usr/bin/env node
/**
 * The CNI plugin binary (`nicvisor-cni`, installed into CNI_PATH): the runtime calls it with
 * CNI_* variables and the netconf on stdin. Kept apart from the full CLI so a container start
 * does not load every command. `nicvisor cni` runs the same code.
 *
 * CommonJS (.cts, as are the modules it loads): node starts a CommonJS main without its ES
 * module loader, which is some 20 of node's own modules fewer to compile and an asynchronous
 * read per file less at every container start (bench/cni.ts measures the start).
 */
import { runCni, trace } from './plugin.cjs';

export async function cniMain(): Promise<never> {
  const chunks: Buffer[] = [];
  if (process.env.CNI_COMMAND !== 'VERSION')
    for await (const c of process.stdin) chunks.push(c as Buffer);
  const r = await runCni({ env: process.env, stdin: Buffer.concat(chunks).toString('utf8') });
  if (r.stdout) process.stdout.write(`${r.stdout}\n`);
  trace('exiting');
  process.exit(r.code);
}

// Run when started as the binary (through the CNI_PATH symlink too: node's main module is
// the link's target), not when imported (`nicvisor cni`).
if (require.main === module) void cniMain();
