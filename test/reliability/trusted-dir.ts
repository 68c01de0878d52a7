/**
 * A private temp directory that root may trust (trust.ts): below the test build, whose
 * ancestors belong to the user running the tests — unless the checkout itself lies below
 * /tmp (writable by everyone, so nothing below it may be run as root): then below the
 * user's home (~/.cache/nicvisor-test).
 */
import { mkdir, mkdtemp } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const SCRATCH = ['/tmp', '/var/tmp', '/dev/shm'];

export async function trustedDir(prefix: string): Promise<string> {
  const scratch = SCRATCH.some((s) => HERE === s || HERE.startsWith(`${s}${sep}`));
  const base = scratch ? join(homedir(), '.cache', 'nicvisor-test') : join(HERE, '.trusted-tmp');
  await mkdir(base, { recursive: true, mode: 0o755 });
  return mkdtemp(join(base, prefix));
}
