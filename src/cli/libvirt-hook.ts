#!/usr/bin/env node
/**
 * The libvirt network hook as a small program of its own (what `/etc/libvirt/hooks/network`
 * runs): `libvirt-hook.js [--socket PATH] NETWORK OP SUBOP EXTRA` with libvirt's hookData
 * XML on stdin. libvirt runs it for every event of every network (start, started, port-…,
 * stopped) and waits for it, so it loads only node:http and the pure decision, not the
 * CLI's command framework (`nicvisor libvirt-hook` runs the same decision through the
 * full CLI). libvirt starts hooks with a cleared environment: the socket is an argument.
 *
 * Exit 0 allows; exit 1 with the reason on stderr vetoes a `port-created` (libvirt fails
 * the port, and the domain start or hot plug, with that text). Unreachable daemon on
 * `port-created`: vetoed, since nothing could check the port (fail closed). libvirtd waits
 * for the hook as long as it runs (seen in the lab VM: a daemon that did not answer held
 * `virsh net-port-create` until virsh was killed), so a daemon that accepts and never
 * answers is given up after `--timeout SECONDS` (default 30) and the port vetoed.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { judgePort, parsePort, poolOfNetwork } from '../policy/pools/libvirt-hook.js';
import { leanApi, SYSTEM_SOCKET } from './lean-api.cjs';

/** Long enough for a claim lookup on a loaded host; short of a stuck domain start. */
const DEFAULT_TIMEOUT_S = 30;

export interface HookOutcome {
  code: number;
  /** What goes to stderr: libvirt logs it, and puts it into the error of a vetoed port. */
  message: string;
}

export async function runHook(
  argv: readonly string[],
  readStdin: () => Promise<string>,
): Promise<HookOutcome> {
  const args = [...argv];
  let socket = SYSTEM_SOCKET;
  let timeout = DEFAULT_TIMEOUT_S;
  while (args[0] === '--socket' || args[0] === '--timeout') {
    if (args[0] === '--socket') socket = args[1] ?? '';
    else timeout = Number(args[1]);
    args.splice(0, 2);
  }
  const [network, op] = args;
  if (!Number.isFinite(timeout) || timeout <= 0)
    return {
      code: 2,
      message: `nicvisor libvirt hook: --timeout must be a number of seconds above 0 (default ${DEFAULT_TIMEOUT_S})`,
    };
  if (!network || !op || !socket)
    return {
      code: 2,
      message:
        'nicvisor libvirt hook: usage: libvirt-hook.js [--socket PATH] [--timeout SECONDS] NETWORK OP SUBOP EXTRA (libvirt passes the last four)',
    };
  const pool = poolOfNetwork(network);
  if (!pool || (op !== 'port-created' && op !== 'port-deleted')) return { code: 0, message: '' };
  const port = parsePort(network, await readStdin());
  const api = leanApi(socket, { timeoutMs: timeout * 1000 });
  try {
    const answer = judgePort(op, port, (await api.pool(pool)).claims);
    if (!answer.allow) return { code: 1, message: answer.reason };
    if (answer.release) await api.release(answer.release);
    return { code: 0, message: `nicvisor: ${answer.reason}` };
  } catch (err) {
    return {
      code: 1,
      message: `nicvisor: ${op} on network ${network} not checked: ${(err as Error).message}`,
    };
  }
}

async function stdinText(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

// Run when started as the program (through a symlink too), not when imported.
const self = fileURLToPath(import.meta.url);
if (process.argv[1] && realpathSync(process.argv[1]) === self) {
  const out = await runHook(process.argv.slice(2), stdinText);
  if (out.message) process.stderr.write(`${out.message}\n`);
  process.exit(out.code);
}
