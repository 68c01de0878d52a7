import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { nicvisor } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'nicvisor-apply-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('apply -f DIR reports every file that is not JSON, and sends nothing', () => {
  writeFileSync(join(dir, 'a.json'), '{ "name": "a", ');
  writeFileSync(join(dir, 'b.json'), JSON.stringify({ name: 'b', pf: 'sim:nic0/0', vf: 1 }));
  writeFileSync(join(dir, 'c.json'), '{ "name": "c" // a comment: VF files are strict JSON\n}');
  // No daemon behind the socket: the files are refused before any connection is tried.
  const r = nicvisor('apply', '-f', dir, '--socket', join(dir, 'none.sock'));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /refused, nothing was applied \(2 problems\)/);
  assert.match(r.stderr, /a\.json: \(document\): invalid JSON/);
  assert.match(r.stderr, /c\.json: \(document\): invalid JSON/);
  assert.doesNotMatch(r.stderr, /cannot reach the daemon/);
});
