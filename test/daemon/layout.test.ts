import assert from 'node:assert/strict';
import { test } from 'node:test';
import { vfFile } from '../../src/daemon/layout.js';
import { isVfName } from '../../src/model/index.js';

test('VF names cannot leave the directory', () => {
  for (const bad of ['', '.', '..', '../x', 'a/b', 'a\0b', '.hidden', 'x'.repeat(65), 'a b']) {
    assert.equal(isVfName(bad), false, JSON.stringify(bad));
    assert.throws(() => vfFile('/tmp', bad), /is not allowed/);
  }
  assert.equal(isVfName('web-1.a_B'), true);
});
