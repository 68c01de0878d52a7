import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DaemonError } from '../../../src/daemon/errors.js';
import { layout } from '../../../src/daemon/layout.js';
import { silentLogger } from '../../../src/daemon/logger.js';
import type { JournalIo } from '../../../src/daemon/store/journal.js';
import { Store } from '../../../src/daemon/store/store.js';
import { emptyGuestState, type GuestState } from '../../../src/model/index.js';
import { fakeCapabilities } from '../../fakes/fake-driver.js';
import { mainConfig, PF0, PF1, policies } from '../harness.js';

const fault = { enospc: false, failSync: false };
const io: JournalIo = {
  writeSync(fd, buf, offset, length, position) {
    if (fault.enospc)
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    return fs.writeSync(fd, buf, offset, length, position);
  },
  fdatasync: (fd) =>
    fault.failSync
      ? Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }))
      : new Promise((ok, fail) => fs.fdatasync(fd, (e) => (e ? fail(e) : ok()))),
  ftruncateSync: (fd, len) => fs.ftruncateSync(fd, len),
};

async function openStore(stateDir: string, withIo?: JournalIo): Promise<Store> {
  const caps = new Map([PF0, PF1].map((pf) => [pf, fakeCapabilities(8)]));
  const store = new Store(layout(null, stateDir), silentLogger(), () => caps, undefined, withIo);
  await store.open({ file: '(test main config)', data: mainConfig() });
  return store;
}

const guest = (vlans: number[]): GuestState => ({ ...emptyGuestState(), vlans });
const unavailable = (err: DaemonError) => {
  assert.equal(err.kind, 'unavailable', err.stack);
  assert.match(err.message, /nothing was changed/);
  return true;
};

test('a failed fsync refuses every change it covered and rolls the running state back; a full disk refuses with nothing adopted', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nicvisor-jstore-'));
  const stateDir = join(dir, 'state');
  await mkdir(join(stateDir, 'vfs'), { recursive: true });
  for (const p of policies)
    await writeFile(join(stateDir, 'vfs', `${p.name}.json`), JSON.stringify(p));
  try {
    const store = await openStore(stateDir, io);
    await store.setGuest('web-2', guest([200]));
    const before = store.state();
    fault.failSync = true;
    const web1 = store.state().policies.get('web-1')!;
    const changed = { ...web1, vlans: [100, 300] };
    const results = await Promise.allSettled([
      store.setGuest('web-2', emptyGuestState()),
      store.commit({ put: [{ file: 'vfs/web-1', data: changed }] }),
    ]);
    fault.failSync = false;
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      unavailable((r as PromiseRejectedResult).reason);
    }
    assert.deepEqual(store.state().guests.get('web-2'), guest([200]), 'guest change undone');
    assert.deepEqual(store.state().policies.get('web-1'), web1, 'policy change undone');
    assert.equal(store.state(), before, 'the state is the last durable one');
    // The store takes changes again; a full disk refuses one with nothing adopted.
    await store.setGuest('web-2', guest([100, 200]));
    fault.enospc = true;
    await assert.rejects(
      store.commit({ put: [{ file: 'vfs/web-1', data: changed }], delete: ['db-1'] }),
      unavailable,
    );
    await assert.rejects(store.setGuest('web-2', emptyGuestState()), unavailable);
    fault.enospc = false;
    assert.deepEqual(store.state().policies.get('web-1'), web1);
    assert.ok(store.state().policies.has('db-1'));
    await store.close();
    // What a restart finds: the durable changes only.
    const again = await openStore(stateDir);
    assert.deepEqual(again.state().guests.get('web-2'), guest([100, 200]));
    assert.deepEqual(again.state().policies.get('web-1'), web1);
    assert.deepEqual([...again.state().policies.keys()], ['db-1', 'web-1', 'web-2']);
    await again.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
