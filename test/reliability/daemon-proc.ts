/** The real daemon as a child process (`dist/cli/main.js serve`, the bundle users run) on a temp directory. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/cli/main.js (the bundle), from dist/test/reliability/. */
export const MAIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../cli/main.js');

export const PFS = ['sim:nic0/0', 'sim:nic0/1'];

export interface ProcEnv {
  dir: string;
  configFile: string;
  stateDir: string;
  socket: string;
}

/** A temp dir with a sim config of 2 PFs × 8 VFs; `daemon` settings are merged in. */
export async function procEnv(daemon: Record<string, unknown> = {}): Promise<ProcEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'nicvisor-rely-'));
  const stateDir = join(dir, 'state');
  const socket = join(dir, 'nv.sock');
  const configFile = join(dir, 'nicvisor.json');
  const config = {
    driver: 'sim',
    sim: { nics: [{ name: 'nic0', ports: 2, totalVfs: 16 }], demoTraffic: false },
    daemon: {
      stateDir,
      socket,
      driftIntervalMs: 200,
      statsIntervalMs: 200,
      logLevel: 'warn',
      guestRequestsPerSecond: 1_000_000,
      guestRequestBurst: 1_000_000,
      ...daemon,
    },
    pfs: PFS.map((pf) => ({ pf, numVfs: 8 })),
  };
  await writeFile(configFile, JSON.stringify(config, null, 2));
  await mkdir(join(stateDir, 'vfs'), { recursive: true });
  return { dir, configFile, stateDir, socket };
}

export interface Proc {
  child: ChildProcess;
  /** Everything the daemon wrote to stdout and stderr (its pino log is on stderr). */
  output: () => string;
  exited: Promise<number | null>;
}

/** Start `nicvisor serve --config …`; resolves when the API is up, rejects if it exits. */
export async function startProc(env: ProcEnv, timeoutMs = 30_000): Promise<Proc> {
  const child = spawn(process.execPath, [MAIN, 'serve', '--config', env.configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c) => {
    out += c;
  });
  child.stderr!.on('data', (c) => {
    out += c;
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  await new Promise<void>((ok, fail) => {
    const t = setTimeout(
      () => fail(new Error(`daemon did not start in ${timeoutMs} ms: ${out}`)),
      timeoutMs,
    );
    const poll = setInterval(() => {
      if (out.includes('API on')) {
        clearTimeout(t);
        clearInterval(poll);
        ok();
      }
    }, 5);
    void exited.then((code) => {
      clearTimeout(t);
      clearInterval(poll);
      fail(new Error(`daemon exited ${code} before its API was up: ${out}`));
    });
  });
  return { child, output: () => out, exited };
}

/** SIGKILL: no handler runs, nothing is flushed — a crash. */
export async function killHard(p: Proc): Promise<void> {
  p.child.kill('SIGKILL');
  await p.exited;
}

/** SIGTERM and wait for the clean exit. */
export async function stopProc(p: Proc): Promise<number | null> {
  p.child.kill('SIGTERM');
  return p.exited;
}
