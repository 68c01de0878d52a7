/**
 * The `nicvisor` command's own cost, which operators feel on every invocation and shell
 * completion pays on every Tab: process start to exit for `nicvisor --version` (loads every
 * command module) and `nicvisor completion bash` (walks the whole command tree), each as a
 * ratio over a bare `node -e 0` spawned the same way (Node's own start-up, the floor).
 * Goals: at most 3× bare Node (absolute times depend on the machine's load: no goal).
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { atMost, type Bench } from './_report.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js');
const RUNS = 9;

function p50Ms(args: string[]): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    times.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export async function run(b: Bench): Promise<void> {
  const node = p50Ms(['-e', '0']);
  const version = p50Ms([MAIN, '--version']);
  const completion = p50Ms([MAIN, 'completion', 'bash']);
  const bare = b.figure('cli: bare node -e 0, spawn to exit (p50)', node, 'ms');
  const v = b.figure('cli: nicvisor --version, spawn to exit (p50)', version, 'ms');
  const c = b.figure('cli: nicvisor completion bash, spawn to exit (p50)', completion, 'ms');
  b.ratio('cli: nicvisor --version over bare node', v, bare, atMost(3));
  b.ratio('cli: nicvisor completion bash over bare node', c, bare, atMost(3));
}
