#!/usr/bin/env -S node --max-semi-space-size=1 --optimize-for-size --single-threaded-gc
/**
 * The `nicvisor` command. Each sub-command lives in its own module under commands/ and
 * registers itself on the program (program.ts); errors go to stderr with a non-zero exit
 * (VFd's iplex exited 0 on errors), or to stdout as JSON with --json.
 *
 * The first line caps V8's young generation at 1 MiB semi-spaces (default: growing to 16 MiB
 * each, kept for good once the start has grown them): -25 MiB RSS for a daemon of 512 VFs
 * (bench/daemon.ts). --optimize-for-size makes V8 grow the old generation less between full
 * collections: under a stream of guest requests the heap filled with garbage up to ~50 MiB
 * before one (RSS 85-116 MiB after 30k requests with 16 VFs, 78-85 MiB with the flag; daemon CPU
 * per request the same within the machine's noise, 139-160 µs both ways). --single-threaded-gc
 * keeps the collector on the main thread: with a heap of ~20 MiB, waking V8's four helper
 * threads for every young-generation collection (one per MiB allocated) cost more CPU than it
 * saved, 7-15 % of a durable ack's, with the daemon's own decision p99 unchanged (<= 0.25 ms,
 * nicvisor_guest_request_duration_seconds) and 2 MiB less RSS. Only flags at process
 * start can do either, so the launcher passes them; `env -S` splits them from `node`
 * (coreutils 8.30, Debian 10). See src/daemon/memory.ts.
 */
import { ApiRequestError, UnreachableError } from './client.js';
import { CliError, EXIT } from './output.js';
import { buildProgram } from './program.js';

// `nicvisor show --watch | head`: the reader went away; that is the end, not a crash.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.ok);
    throw err;
  });
}

function exitCodeOf(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof UnreachableError) return EXIT.unreachable;
  if (err instanceof ApiRequestError && err.status === 429) return EXIT.nack;
  return EXIT.error;
}

function jsonBodyOf(err: unknown, message: string): unknown {
  if (err instanceof CliError) return err.body;
  if (err instanceof ApiRequestError) return err.body;
  return { error: message };
}

const program = buildProgram();
try {
  await program.parseAsync(process.argv);
} catch (err) {
  const e = err as { code?: string; exitCode?: number; message?: string };
  if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') process.exit(0);
  if (e.code?.startsWith('commander.')) process.exit(e.exitCode ? EXIT.usage : EXIT.ok);
  const message = e.message ?? String(err);
  if (program.opts().json || process.argv.includes('--json'))
    process.stdout.write(`${JSON.stringify(jsonBodyOf(err, message), null, 2)}\n`);
  else process.stderr.write(`nicvisor: ${message}\n`);
  process.exitCode = exitCodeOf(err);
}
