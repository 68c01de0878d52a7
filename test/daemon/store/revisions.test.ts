import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { contentHash, Revisions } from '../../../src/daemon/store/revisions.js';
import { emptyGuestState, VfPolicy } from '../../../src/model/index.js';

test('Revisions: a bumped revision gets its content hash when it is written or compared', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nv-revs-'));
  try {
    const file = join(dir, 'revisions.json');
    const policy = VfPolicy.parse({ name: 'web', pf: 'sim:nic0/0', vf: 0 });
    const guest = { ...emptyGuestState(), allmulti: true };
    const revs = new Revisions(file);
    await revs.load();
    const r1 = revs.track('web', contentHash(policy, emptyGuestState()));
    let hashed = 0;
    const r2 = revs.bump('web', () => {
      hashed += 1;
      return contentHash(policy, guest);
    });
    assert.ok(r2 > r1);
    assert.equal(hashed, 0, 'not hashed before it is needed');
    assert.equal(revs.track('web', contentHash(policy, guest)), r2, 'same content, same revision');
    assert.equal(hashed, 1);
    const r3 = revs.bump('web', () => contentHash(policy, emptyGuestState()));
    await revs.flush();
    const saved = JSON.parse(await readFile(file, 'utf8'));
    assert.deepEqual(saved.vfs.web, { revision: r3, hash: contentHash(policy, emptyGuestState()) });
    const again = new Revisions(file);
    await again.load();
    assert.equal(again.track('web', contentHash(policy, emptyGuestState())), r3);
    assert.ok(again.track('web', contentHash(policy, guest)) > r3, 'other content, a new one');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
