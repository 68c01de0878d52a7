/** Spawning the real daemon and the real CLI for end-to-end tests. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/cli/main.js (the bundle), from dist/test/e2e/. */
export const MAIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../cli/main.js');

export interface Env {
  dir: string;
  configFile: string;
  stateDir: string;
  socket: string;
  vfsDir: string;
}

export async function makeEnv(pfs = 2): Promise<Env> {
  const dir = await mkdtemp(join(tmpdir(), 'nicvisor-e2e-'));
  const stateDir = join(dir, 'state');
  const socket = join(dir, 'nv.sock');
  const configFile = join(dir, 'nicvisor.json');
  const config = {
    driver: 'sim',
    sim: { nics: [{ name: 'nic0', ports: pfs, totalVfs: 16 }], demoTraffic: false },
    daemon: { stateDir, socket, driftIntervalMs: 200, statsIntervalMs: 200, logLevel: 'warn' },
    pfs: Array.from({ length: pfs }, (_, i) => ({ pf: `sim:nic0/${i}`, numVfs: 8 })),
  };
  await writeFile(configFile, `// e2e config (JSON5)\n${JSON.stringify(config, null, 2)}\n`);
  await mkdir(join(stateDir, 'vfs'), { recursive: true });
  return { dir, configFile, stateDir, socket, vfsDir: join(stateDir, 'vfs') };
}

export interface Served {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Start `nicvisor serve --config …` and wait until it prints where the API is. */
export async function serve(env: Env): Promise<Served> {
  const child = spawn(process.execPath, [MAIN, 'serve', '--config', env.configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (c) => {
    err += c;
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  await new Promise<void>((ok, fail) => {
    let out = '';
    // 30 s: a loaded CI box can take that long; a daemon that never starts is killed, or
    // it would hold the test file's process (and npm test) open after the failure.
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`daemon did not start in 30 s: ${err}`));
    }, 30_000);
    child.stdout!.on('data', (c) => {
      out += c;
      if (out.includes('API on')) {
        clearTimeout(t);
        ok();
      }
    });
    void exited.then((code) => {
      clearTimeout(t);
      fail(new Error(`daemon exited ${code}: ${err}`));
    });
  });
  return { child, stderr: () => err, exited };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the real CLI against the daemon's socket (unless args name another). */
export function cli(env: Env, ...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const where = args.includes('--socket') ? [] : ['--socket', env.socket];
    execFile(process.execPath, [MAIN, ...args, ...where], (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
