/**
 * onStart/onStop hooks (VFd ran its callbacks through a shell, as root). Each runs with
 * execFile — argv as given, no shell, so `$(…)`, `;` and backquotes are plain characters —
 * with a timeout (SIGKILL when it passes), a minimal environment, as `daemon.hookUser` when
 * set, and its output captured to the log. A hook never blocks the daemon past its timeout.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { VfPolicy } from '../model/index.js';
import type { Logger } from './logger.js';

export type HookEvent = 'onStart' | 'onStop';

export interface HookUser {
  name: string;
  uid: number;
  gid: number;
}

export interface HookResult {
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  error: string | null;
}

/** Output kept per stream; a chatty hook cannot fill the daemon's memory or log. */
const MAX_OUTPUT = 64 * 1024;
const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Resolve `daemon.hookUser` (a name from /etc/passwd, or `UID` / `UID:GID`). */
export async function resolveHookUser(spec: string, passwd = '/etc/passwd'): Promise<HookUser> {
  const num = /^(\d+)(?::(\d+))?$/.exec(spec);
  if (num) return { name: spec, uid: Number(num[1]), gid: Number(num[2] ?? num[1]) };
  const line = (await readFile(passwd, 'utf8')).split('\n').find((l) => l.split(':')[0] === spec);
  if (!line)
    throw new Error(
      `daemon.hookUser "${spec}" does not exist in ${passwd}: create the user, give a numeric UID[:GID], or remove hookUser`,
    );
  const f = line.split(':');
  return { name: spec, uid: Number(f[2]), gid: Number(f[3]) };
}

/** Run one hook argv; never rejects (a failing hook is logged, not fatal). */
export function runHook(
  argv: readonly string[],
  env: Record<string, string>,
  opts: { timeoutMs: number; user?: HookUser | null },
): Promise<HookResult> {
  return new Promise((resolve) => {
    execFile(
      argv[0],
      argv.slice(1),
      {
        shell: false,
        timeout: opts.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: MAX_OUTPUT,
        env: { PATH: SAFE_PATH, ...env },
        cwd: '/',
        ...(opts.user ? { uid: opts.user.uid, gid: opts.user.gid } : {}),
      },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { killed?: boolean; signal?: string }) | null;
        const timedOut = Boolean(e?.killed && e.signal === 'SIGKILL');
        resolve({
          code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
          signal: e?.signal ?? null,
          timedOut,
          stdout: String(stdout).slice(0, MAX_OUTPUT),
          stderr: String(stderr).slice(0, MAX_OUTPUT),
          error: e
            ? timedOut
              ? `killed after the ${opts.timeoutMs} ms timeout (daemon.hookTimeoutMs)`
              : e.message
            : null,
        });
      },
    );
  });
}

/** Runs a VF's hooks and logs what they did; tracks running ones so stop() can wait. */
export class Hooks {
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly user: HookUser | null;
  private readonly running = new Set<Promise<unknown>>();

  constructor(log: Logger, timeoutMs: number, user: HookUser | null) {
    this.log = log;
    this.timeoutMs = timeoutMs;
    this.user = user;
  }

  async run(event: HookEvent, policy: VfPolicy): Promise<HookResult | null> {
    const argv = policy[event];
    if (!argv || argv.length === 0) return null;
    const env = {
      NICVISOR_EVENT: event,
      NICVISOR_VF_NAME: policy.name,
      NICVISOR_PF: policy.pf,
      NICVISOR_VF_INDEX: String(policy.vf),
    };
    const p = runHook(argv, env, { timeoutMs: this.timeoutMs, user: this.user });
    this.running.add(p);
    const r = await p.finally(() => this.running.delete(p));
    const fields = {
      vf: policy.name,
      hook: event,
      argv,
      user: this.user?.name ?? null,
      code: r.code,
      signal: r.signal,
      stdout: r.stdout,
      stderr: r.stderr,
    };
    if (r.error)
      this.log.error({ ...fields, error: r.error }, `${event} hook of ${policy.name} failed`);
    else this.log.info(fields, `${event} hook of ${policy.name} ran`);
    return r;
  }

  /** Wait for hooks still running (each ends by its timeout at the latest). */
  async idle(): Promise<void> {
    await Promise.all([...this.running]);
  }
}
