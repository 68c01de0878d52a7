/**
 * Is a libvirt domain running? The leak sweeper asks this for claims of `vm` owners. Two
 * probes, chosen by `daemon.poolVmProbe`:
 *
 * - `libvirt-run` (default): what libvirt's QEMU driver leaves while a domain runs,
 *   `/run/libvirt/qemu/NAME.pid` with the QEMU pid, and that process alive with
 *   `guest=NAME` on its command line (libvirt starts QEMU with `-name guest=NAME,…`), so a
 *   stale pid file or a reused pid does not count. No libvirt run dir at all: unknown.
 * - `virsh`: `virsh -c URI domstate NAME` (needs libvirtd or virtqemud answering).
 *
 * Each answers true (running), false (not running) or null (cannot tell: never reclaim on
 * that). Roots and the command runner are passed in, so tests use a fake run dir and /proc.
 */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface VmProbe {
  readonly name: string;
  running(domain: string): Promise<boolean | null>;
}

export class LibvirtRunProbe implements VmProbe {
  readonly name: string;
  private readonly runDir: string;
  private readonly proc: string;

  constructor(runDir: string, proc: string) {
    this.runDir = runDir;
    this.proc = proc;
    this.name = `${runDir}/NAME.pid`;
  }

  /** Equivalent to: `kill -0 $(cat /run/libvirt/qemu/NAME.pid)` and its cmdline names NAME. */
  async running(domain: string): Promise<boolean | null> {
    try {
      if (!(await stat(this.runDir)).isDirectory()) return null;
    } catch {
      return null;
    }
    let pid: number;
    try {
      pid = Number((await readFile(join(this.runDir, `${domain}.pid`), 'utf8')).trim());
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      return null;
    }
    if (!Number.isInteger(pid) || pid < 1) return false;
    let cmdline: string;
    try {
      cmdline = await readFile(join(this.proc, String(pid), 'cmdline'), 'utf8');
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ENOENT' ? false : null;
    }
    // `-name guest=NAME,debug-threads=on` (libvirt ≥ 1.2.x); a bare `-name NAME` before that.
    const args = cmdline.split('\0');
    const i = args.indexOf('-name');
    if (i < 0) return false;
    const v = args[i + 1] ?? '';
    const named = v.startsWith('guest=') ? v.slice(6).split(',')[0] : v.split(',')[0];
    return named === domain;
  }
}

export type Runner = (argv: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

const run: Runner = (argv) =>
  new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { timeout: 5000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 127) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });

/** States `virsh domstate` prints for a domain that holds its devices. */
const HOLDING = new Set(['running', 'paused', 'in shutdown', 'pmsuspended', 'blocked']);

export class VirshProbe implements VmProbe {
  readonly name: string;
  private readonly uri: string;
  private readonly runner: Runner;

  constructor(uri: string, runner: Runner = run) {
    this.uri = uri;
    this.runner = runner;
    this.name = `virsh -c ${uri} domstate`;
  }

  /** Equivalent to: `virsh -c URI domstate NAME`. */
  async running(domain: string): Promise<boolean | null> {
    const r = await this.runner(['virsh', '-c', this.uri, 'domstate', domain]);
    if (r.code === 0) return HOLDING.has(r.stdout.trim().split('\n')[0]!.trim());
    // "error: failed to get domain 'NAME'" is an answer; anything else (no daemon) is not.
    return /failed to get domain|Domain not found/i.test(r.stderr) ? false : null;
  }
}

export function vmProbe(
  kind: 'libvirt-run' | 'virsh' | 'none',
  o: { runDir: string; proc: string; uri: string },
): VmProbe | null {
  if (kind === 'libvirt-run') return new LibvirtRunProbe(o.runDir, o.proc);
  if (kind === 'virsh') return new VirshProbe(o.uri);
  return null;
}
