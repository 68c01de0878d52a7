/**
 * No file operation can leave the state directory: every path the daemon builds from a name
 * goes through vfFile(), which refuses any name that is not a plain file-name component.
 */
import assert from 'node:assert/strict';
import { basename, dirname, resolve } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { vfFile } from '../../src/daemon/layout.js';
import { isVfName } from '../../src/model/index.js';

const DIR = '/var/lib/nicvisor/vfs';
const HOSTILE = [
  '..',
  '.',
  '../x',
  'a/b',
  '/etc/passwd',
  'a\0b',
  'a'.repeat(300),
  '',
  '.hidden',
  'x/../../y',
  '..\\x',
  'ä',
  'a b',
];

test('vfFile: every name either stays a file directly in the directory or is refused', () => {
  let tried = 0;
  const check = (name: string) => {
    tried += 1;
    let path: string;
    try {
      path = vfFile(DIR, name);
    } catch (err) {
      assert.match((err as Error).message, /is not allowed/);
      assert.equal(isVfName(name), false);
      return;
    }
    assert.equal(dirname(resolve(path)), DIR, `${JSON.stringify(name)} → ${path}`);
    assert.equal(basename(path), `${name}.json`);
  };
  for (const n of HOSTILE) assert.throws(() => vfFile(DIR, n), /is not allowed/, JSON.stringify(n));
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ maxLength: 80 }),
        fc.stringMatching(/^[./a-z\\\0-]{0,12}$/),
        fc.string({ unit: 'binary', maxLength: 20 }),
      ),
      (name) => check(name),
    ),
    { numRuns: 5000 },
  );
  console.log(
    `paths: ${tried} random and ${HOSTILE.length} hostile names; none left the directory`,
  );
});
