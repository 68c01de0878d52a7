/** How CLI commands find the daemon: --socket / --url + --token, env, then the usual places. */
import { accessSync, constants, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ApiClient } from './client.js';

export const SYSTEM_SOCKET = '/run/nicvisor/nicvisor.sock';

function writableDir(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where a run without a config keeps state and socket: ./.nicvisor/, else the temp dir. */
export function demoHome(): string {
  const local = resolve('.nicvisor');
  // sun_path holds 108 bytes: a deep working directory falls back to the temp dir too.
  const fits = join(local, 'nicvisor.sock').length < 100;
  if (fits && (existsSync(local) ? writableDir(local) : writableDir(resolve('.')))) return local;
  return join(tmpdir(), `nicvisor-${process.getuid?.() ?? 'user'}`);
}

/** Sockets a demo run may have created (checked by clients in this order). */
function demoSockets(): string[] {
  return [
    resolve('.nicvisor', 'nicvisor.sock'),
    join(tmpdir(), `nicvisor-${process.getuid?.() ?? 'user'}`, 'nicvisor.sock'),
  ];
}

export function defaultSocket(): string {
  if (process.env.NICVISOR_SOCKET) return process.env.NICVISOR_SOCKET;
  for (const p of [SYSTEM_SOCKET, ...demoSockets()]) if (existsSync(p)) return p;
  return SYSTEM_SOCKET;
}

export interface ConnectOptions {
  socket?: string;
  url?: string;
  token?: string;
  /** Global `--json`: print the API's JSON answer (and errors as JSON). */
  json?: boolean;
}

/** Options every command understands, declared once on the program (`nicvisor --help`). */
const GLOBAL_KEYS = ['socket', 'url', 'token', 'json'] as const;

export function globalOptions(program: Command): Command {
  program
    .option(
      '--socket <path>',
      `daemon API socket (default: $NICVISOR_SOCKET, ${SYSTEM_SOCKET}, then the demo socket)`,
    )
    .option('--url <url>', 'daemon API over TCP instead, e.g. http://127.0.0.1:7710')
    .option('--token <token>', 'bearer token for --url (default: $NICVISOR_TOKEN)')
    .option('--json', 'print the answer as JSON (errors too, on stdout)');
  // Commander keeps program options on the program; copy them to the command that runs so
  // every action finds them in its own options, wherever on the line they were typed.
  program.hook('preAction', (root, action) => {
    const globals = root.opts<ConnectOptions>();
    for (const key of GLOBAL_KEYS) {
      if (action.getOptionValue(key) === undefined && globals[key] !== undefined)
        action.setOptionValue(key, globals[key]);
    }
  });
  return program;
}

/**
 * Kept for commands that still call it: the connection options are global now
 * (globalOptions), so a command needs nothing of its own.
 */
export function withConnection(cmd: Command): Command {
  return cmd;
}

export function clientFrom(opts: ConnectOptions): ApiClient {
  const token = opts.token ?? process.env.NICVISOR_TOKEN;
  if (opts.url) return new ApiClient({ url: opts.url, token });
  return new ApiClient({ socket: opts.socket ?? defaultSocket(), token });
}

/** Run fn with a client and always close it (so the process can exit). */
export async function withClient<T>(
  opts: ConnectOptions,
  fn: (c: ApiClient) => Promise<T>,
): Promise<T> {
  const c = clientFrom(opts);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}
