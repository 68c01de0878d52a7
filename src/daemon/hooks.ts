/**
 * onStart/onStop hooks (VFd ran its callbacks through a shell, as root). Each runs with
 * execFile — argv as given, no shell, so `$(…)`, `;` and backquotes are plain characters —
 * in a process group of its own with a timeout (the group is SIGKILLed when it passes), a
 * minimal environment, as `daemon.hookUser` when set, and its output captured to the log.
 * A program root should not trust (trust.ts) is never run. A hook never blocks the daemon
 * past its timeout, and no hook failure rejects: the caller's release always goes on.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { VfPolicy } from '../model/index.js';
import type { Logger } from './logger.js';
import { distrustProgram } from './trust.js';

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

/** Why an argv cannot be run at all (checked again here: files can bypass the API). */
function badArgv(argv: readonly string[]): string | null {
  if (argv.length === 0) return 'the argv is empty';
  const i = argv.findIndex((a) => a.includes('\u0000'));
  if (i >= 0) return `argv[${i}] contains a NUL byte`;
  if (!argv[0].startsWith('/')) return `argv[0] "${argv[0]}" is not an absolute path`;
  return null;
}

function failed(error: string): HookResult {
  return { code: null, signal: null, timedOut: false, stdout: '', stderr: '', error };
}

/** Kill the hook's whole process group (it leads one: spawned detached). */
function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** How long output still in the pipes is read after the hook exits. */
const DRAIN_MS = 100;

/**
 * Run one hook argv; never rejects (a failing hook is logged, not fatal). The hook leads a
 * process group of its own, so a timeout kills its children too (with execFile a `sleep`
 * it started lived on under PID 1). The answer comes when the hook itself exits, not when
 * its pipes close: a background child that inherited stdout would otherwise hold the
 * caller (a DELETE) for the whole timeout.
 */
export function runHook(
  argv: readonly string[],
  env: Record<string, string>,
  opts: { timeoutMs: number; user?: HookUser | null },
): Promise<HookResult> {
  const bad = badArgv(argv);
  if (bad) return Promise.resolve(failed(`not run: ${bad}`));
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(argv[0], argv.slice(1), {
        shell: false,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: SAFE_PATH, ...env },
        cwd: '/',
        ...(opts.user ? { uid: opts.user.uid, gid: opts.user.gid } : {}),
      });
    } catch (err) {
      resolve(failed(`not run: ${(err as Error).message}`));
      return;
    }
    const out = { stdout: '', stderr: '' };
    for (const k of ['stdout', 'stderr'] as const)
      child[k]?.setEncoding('utf8').on('data', (c: string) => {
        if (out[k].length < MAX_OUTPUT) out[k] = (out[k] + c).slice(0, MAX_OUTPUT);
      });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, opts.timeoutMs);
    let done = false;
    const finish = (r: HookResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    child.on('error', (err) => finish({ ...failed(err.message), ...out }));
    child.on('exit', (code, signal) => {
      if (timedOut) killGroup(child.pid);
      const answer = () => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        const error = timedOut
          ? `killed after the ${opts.timeoutMs} ms timeout (daemon.hookTimeoutMs)`
          : code !== 0
            ? `exited with ${code === null ? `signal ${signal}` : `code ${code}`}`
            : null;
        finish({ code, signal, timedOut, ...out, error });
      };
      // Read what is already in the pipes, but never wait for a child that holds them.
      const drain = setTimeout(answer, DRAIN_MS);
      child.on('close', () => {
        clearTimeout(drain);
        answer();
      });
    });
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
    const p = this.guarded(argv, env);
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

  /**
   * Run the hook unless its program is one root must not trust (checked when it runs, not
   * only when the policy was accepted: the file may have changed since). Never rejects.
   */
  private async guarded(argv: readonly string[], env: Record<string, string>): Promise<HookResult> {
    try {
      const distrust = await distrustProgram(argv[0]);
      if (distrust) return failed(`not run: ${distrust.what}; fix: ${distrust.fix}`);
      return await runHook(argv, env, { timeoutMs: this.timeoutMs, user: this.user });
    } catch (err) {
      return failed(`not run: ${(err as Error).message}`);
    }
  }

  /** Wait for hooks still running (each ends by its timeout at the latest). */
  async idle(): Promise<void> {
    await Promise.all([...this.running]);
  }
}
