import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { ensureDir, writeFileDurable } from '../../src/daemon/fsutil.js';

test('ensureDir creates missing levels from an absolute or relative path, and is idempotent', async () => {
  const root = await mkdtemp(join(tmpdir(), 'nv-fsutil-'));
  try {
    const abs = join(root, 'a', 'b', 'c');
    await ensureDir(abs);
    assert.ok((await stat(abs)).isDirectory());
    await ensureDir(abs);
    const rel = relative(process.cwd(), join(root, 'x', 'y'));
    await ensureDir(rel);
    assert.ok((await stat(join(root, 'x', 'y'))).isDirectory());
    assert.equal((await stat(abs)).mode & 0o777, 0o750);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('durable write replaces the file and leaves no temp file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nv-fs-'));
  try {
    const f = join(dir, 'a.json');
    await writeFileDurable(f, 'one');
    await writeFileDurable(f, 'two');
    assert.equal(await readFile(f, 'utf8'), 'two');
    assert.deepEqual(await readdir(dir), ['a.json']);
  } finally {
    await rm(dir, { recursive: true });
  }
});
