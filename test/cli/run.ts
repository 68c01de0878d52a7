import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, from dist/test/cli/. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CORPUS = join(ROOT, 'test', 'corpus');
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the compiled `nicvisor` as a user would. */
export function nicvisor(...args: string[]): CliResult {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 20000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
