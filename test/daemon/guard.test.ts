/** The process guard: an unhandled rejection or exception is logged and the daemon lives on. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const GUARD = pathToFileURL(
  join(dirname(fileURLToPath(import.meta.url)), '../../src/daemon/guard.js'),
).href;
const LOGGER = GUARD.replace('guard.js', 'logger.js');

test('an unhandled rejection and an uncaught exception are logged; the process keeps running', () => {
  const script = `
    const { installProcessGuard } = await import(${JSON.stringify(GUARD)});
    const { createLogger } = await import(${JSON.stringify(LOGGER)});
    installProcessGuard(createLogger('info', { write: (l) => process.stderr.write(l) }));
    Promise.reject(new Error('lost-rejection'));
    setTimeout(() => { throw new Error('lost-throw'); }, 10);
    setTimeout(() => { process.stdout.write('still alive'); }, 100);
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'still alive');
  assert.match(r.stderr, /lost-rejection.*unhandled promise rejection/);
  assert.match(r.stderr, /lost-throw.*uncaught exception/);
});
