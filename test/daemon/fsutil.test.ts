import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import {
  ensureDir,
  TEMP_MARKER,
  writeFileDurable,
  writeFilesDurable,
} from '../../src/daemon/fsutil.js';

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

test('writeFilesDurable writes and removes many files, and a failure leaves no temp file', async () => {
  const root = await mkdtemp(join(tmpdir(), 'nv-fsutil-many-'));
  try {
    const a = join(root, 'a');
    const b = join(root, 'b');
    await ensureDir(a);
    await ensureDir(b);
    await writeFileDurable(join(a, 'gone.json'), 'old\n');
    await writeFileDurable(join(a, 'kept.json'), 'old\n');
    const changes = Array.from({ length: 20 }, (_, i) => ({
      path: join(i % 2 ? a : b, `f${i}.json`),
      data: `${i}\n`,
    }));
    await writeFilesDurable([
      ...changes,
      { path: join(a, 'kept.json'), data: 'new\n' },
      { path: join(a, 'gone.json'), data: null },
      { path: join(a, 'never-there.json'), data: null },
    ]);
    for (const c of changes) assert.equal(await readFile(c.path, 'utf8'), c.data);
    assert.equal(await readFile(join(a, 'kept.json'), 'utf8'), 'new\n');
    assert.deepEqual(
      (await readdir(a)).filter((n) => n.startsWith(TEMP_MARKER)),
      [],
    );
    await assert.rejects(stat(join(a, 'gone.json')), { code: 'ENOENT' });
    // A target in a directory that is not there: refused, and nothing written stays behind.
    await assert.rejects(
      writeFilesDurable([
        { path: join(a, 'x.json'), data: 'x\n' },
        { path: join(root, 'missing', 'y.json'), data: 'y\n' },
      ]),
      { code: 'ENOENT' },
    );
    assert.deepEqual(
      (await readdir(a)).filter((n) => n.startsWith(TEMP_MARKER)),
      [],
    );
    await assert.rejects(stat(join(a, 'x.json')), { code: 'ENOENT' });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
