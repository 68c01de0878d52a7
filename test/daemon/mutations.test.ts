import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DaemonError } from '../../src/daemon/errors.js';
import { VfPolicy } from '../../src/model/index.js';
import { PF0, snapshotFiles, startHarness } from './harness.js';

test('a new policy may not take a MAC a guest of another VF holds; the refusal names the holder', async () => {
  const h = await startHarness();
  try {
    const d = await h.daemon.guestRequest(
      'web-1',
      { type: 'setMac', mac: '02:00:00:00:99:99' },
      'admin',
    );
    assert.equal(d.result, 'ack', d.reason);
    const other = VfPolicy.parse({ name: 'new-1', pf: PF0, vf: 5, macs: ['02:00:00:00:99:99'] });
    await assert.rejects(h.daemon.putVf(other, 'admin'), (err: DaemonError) => {
      assert.equal(err.kind, 'refused');
      assert.deepEqual(
        err.problems?.map((p) => [p.field, p.message]),
        [
          [
            'macs.0',
            'vf 5 (new-1) on fake:0: default MAC 02:00:00:00:99:99 is held by the guest of vf 0 (web-1) on fake:0, which a guest request granted',
          ],
        ],
      );
      return true;
    });
    const macs = [...h.fake.pfs.get(PF0)!.vfs.values()].map((v) => v.settings.mac);
    assert.equal(macs.filter((m) => m === '02:00:00:00:99:99').length, 1, 'one VF holds it');
  } finally {
    await h.cleanup();
  }
});

test('an invalid change is refused with every problem; files and NIC untouched', async () => {
  const h = await startHarness();
  try {
    const files = await snapshotFiles(h.stateDir);
    const writes = h.daemon.driver.writes;
    await assert.rejects(
      h.daemon.apply(
        {
          vfs: [
            // vlan out of range, and a MAC web-1 holds: both named
            { name: 'web-2', pf: PF0, vf: 1, vlans: [5000], macs: ['02:00:00:00:00:01'] },
            { name: 'new-1', pf: PF0, vf: 9 },
          ].map((p) => VfPolicy.parse(p)),
          delete: [],
        },
        'admin',
      ),
      (err: Error & { kind?: string; problems?: { field: string }[] }) => {
        assert.equal(err.kind, 'refused');
        const fields = (err.problems ?? []).map((p) => p.field);
        assert.ok(
          fields.some((f) => f.startsWith('vlans')),
          `vlans named: ${fields}`,
        );
        assert.ok(fields.includes('macs.0'), `duplicate MAC named: ${fields}`);
        assert.ok(fields.includes('vf'), `vf index past numVfs named: ${fields}`);
        return true;
      },
    );
    assert.deepEqual(await snapshotFiles(h.stateDir), files);
    assert.equal(h.daemon.driver.writes, writes);
  } finally {
    await h.cleanup();
  }
});

test('reload goes through the same commit path: refused with every problem, audited, reported', async () => {
  const h = await startHarness();
  const entries: { action: string; result: string }[] = [];
  h.daemon.bus.subscribe((e) => {
    if (e.type === 'audit') entries.push(e.entry);
  });
  try {
    await writeFile(
      join(h.stateDir, 'vfs', 'web-2.json'),
      JSON.stringify({ name: 'web-2', pf: PF0, vf: 1, vlans: [0] }),
    );
    await assert.rejects(h.daemon.reload('admin'), (err: DaemonError) => {
      assert.equal(err.kind, 'refused');
      assert.match(err.message, /^reload refused, the running configuration is unchanged/);
      assert.deepEqual(
        err.problems?.map((p) => p.field),
        ['vlans.0'],
      );
      return true;
    });
    assert.deepEqual(entries.at(-1), { ...entries.at(-1), action: 'reload', result: 'refused' });
    assert.equal(h.daemon.health().refused?.files.length, 1, 'reported until a reload fixes it');
    await rm(join(h.stateDir, 'vfs', 'web-2.json'));
    const r = await h.daemon.reload('admin');
    assert.deepEqual([r.removed, h.daemon.health().refused], [['web-2'], null]);
    assert.equal(h.fake.pfs.get(PF0)!.vfs[1].settings.mac, '00:00:00:00:00:00', 'released');
  } finally {
    await h.cleanup();
  }
});
