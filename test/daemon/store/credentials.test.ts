/** Guest credentials: a corrupt file voids every token, and says so in the log. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { layout } from '../../../src/daemon/layout.js';
import { createLogger } from '../../../src/daemon/logger.js';
import { Credentials } from '../../../src/daemon/store/credentials.js';
import { Store } from '../../../src/daemon/store/store.js';

test('a corrupt credentials.json is logged loudly (every guest token is void)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nv-cred-'));
  try {
    const file = join(dir, 'credentials.json');
    const c = new Credentials(file);
    assert.equal(await c.load(), null, 'no file yet is fine');
    await writeFile(file, '{"a": "deadbeef", ');
    assert.match((await c.load()) ?? '', /not valid JSON/);
    await writeFile(file, '{"a": 3}');
    assert.match((await c.load()) ?? '', /1 entry of .* are not hashes/);
    // Through the store: one error line naming the file.
    const lines: string[] = [];
    const log = createLogger(
      'info',
      new Writable({
        write(chunk, _e, cb) {
          lines.push(String(chunk));
          cb();
        },
      }),
    );
    await writeFile(file, 'garbage');
    const store = new Store(layout(null, dir), log, () => new Map());
    await store.open({ file: '(test)', data: { driver: 'sim', pfs: [] } }).catch(() => {});
    const line = lines.find((l) => l.includes('guest credentials unusable'));
    assert.ok(line, lines.join(''));
    assert.equal(JSON.parse(line).level, 50);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
