import { spawn } from 'node:child_process';

/** What one `tc` process left behind. */
export interface TcResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `tc ARGS` with `input` on stdin; injectable so the ledger can be tested without a kernel. */
export type TcRunner = (args: string[], input: string) => Promise<TcResult>;

/**
 * The real runner: one `tc` process. Why a process and not netlink: the TC flower and
 * action attributes are a large codec to own, and one `tc -batch` per apply costs one spawn
 * (~3 ms) whatever the number of rules (netlink-facts.md: `ip -batch` 66 µs per line).
 */
export function spawnTc(binary = 'tc'): TcRunner {
  return (args, input) =>
    new Promise((resolve, reject) => {
      const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', (e: NodeJS.ErrnoException) => {
        reject(
          e.code === 'ENOENT'
            ? new Error(
                `\`${binary}\` not found: install iproute2 (switchdev rules are applied with tc)`,
              )
            : e,
        );
      });
      child.on('close', (code) => {
        resolve({
          code: code ?? 1,
          stdout: Buffer.concat(out).toString(),
          stderr: Buffer.concat(err).toString(),
        });
      });
      child.stdin.on('error', () => {
        // tc exited before reading all of stdin; its exit status and stderr say why.
      });
      child.stdin.end(input);
    });
}
