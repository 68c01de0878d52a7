/**
 * A private temp directory that root may trust (trust.ts): below the test build, whose
 * ancestors belong to the user running the tests, not below /tmp (writable by everyone).
 */
import { mkdir, mkdtemp } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

export async function trustedDir(prefix: string): Promise<string> {
  const base = join(HERE, '.trusted-tmp');
  await mkdir(base, { recursive: true, mode: 0o755 });
  return mkdtemp(join(base, prefix));
}
