import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SnapshotStore, type VfSnapshot } from '../../../src/drivers/linux/snapshot.js';

const snap: VfSnapshot = {
  pf: '0000:01:00.0',
  vf: 3,
  takenAt: '2026-01-01T00:00:00.000Z',
  settings: {
    mac: '02:77:77:77:77:77',
    vlan: 77,
    qos: 7,
    vlanProto: '802.1Q',
    spoofchk: false,
    trust: true,
    linkState: 'disable',
    minTxRate: 0,
    maxTxRate: 0,
  },
};

describe('SnapshotStore', () => {
  it('persists snapshots as JSON under STATEDIR/linux-snapshots and reloads them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nicvisor-snap-'));
    try {
      const a = new SnapshotStore(dir);
      await a.load();
      await a.save(snap);
      assert.deepEqual(readdirSync(join(dir, 'linux-snapshots')), ['0000_01_00.0-vf3.json']);
      const b = new SnapshotStore(dir);
      await b.load();
      assert.deepEqual(b.get('0000:01:00.0', 3), snap);
      assert.equal(b.get('0000:01:00.0', 4), undefined);
      assert.deepEqual(
        JSON.parse(readFileSync(join(dir, 'linux-snapshots/0000_01_00.0-vf3.json'), 'utf8')),
        snap,
      );
      await b.remove('0000:01:00.0', 3);
      assert.deepEqual(readdirSync(join(dir, 'linux-snapshots')), []);
      assert.equal(b.get('0000:01:00.0', 3), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('saves many snapshots in one batch, and on a failed write keeps none of them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nicvisor-snap-'));
    try {
      const a = new SnapshotStore(dir);
      await a.load();
      const many = Array.from({ length: 20 }, (_, vf) => ({ ...snap, vf }));
      await a.saveAll([...many, { ...many[4], takenAt: 'later' }]);
      const files = readdirSync(join(dir, 'linux-snapshots')).sort();
      assert.equal(files.length, 20, 'one file per VF, no temp file left');
      assert.ok(files.every((f) => /^0000_01_00\.0-vf\d+\.json$/.test(f)));
      const b = new SnapshotStore(dir);
      await b.load();
      assert.deepEqual(b.get('0000:01:00.0', 7), many[7]);
      assert.equal(b.get('0000:01:00.0', 4)?.takenAt, 'later', 'the last of one VF wins');

      // vf 31's temp file cannot be created (a directory is in its way): the batch fails,
      // no other temp file stays behind, and no VF of the batch counts as taken over.
      mkdirSync(join(dir, 'linux-snapshots', '.0000_01_00.0-vf31.json.tmp'));
      const batch = [30, 31, 32].map((vf) => ({ ...snap, vf }));
      await assert.rejects(b.saveAll(batch), /EISDIR/);
      assert.deepEqual(
        readdirSync(join(dir, 'linux-snapshots')).filter((f) => /vf3[02]/.test(f)),
        [],
      );
      for (const vf of [30, 31, 32]) assert.equal(b.get('0000:01:00.0', vf), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to load unreadable snapshots, naming each file, and sweeps temp files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nicvisor-snap-'));
    try {
      const a = new SnapshotStore(dir);
      await a.load();
      await a.save(snap);
      const sub = join(dir, 'linux-snapshots');
      writeFileSync(join(sub, '.0000_01_00.0-vf5.json.tmp'), '{"pf":');
      writeFileSync(join(sub, 'torn-vf1.json'), '{"pf": "0000:01');
      writeFileSync(join(sub, 'odd-vf2.json'), '{"pf": "0000:01:00.0"}');
      const b = new SnapshotStore(dir);
      await assert.rejects(b.load(), (err: Error) => {
        assert.match(err.message, /torn-vf1\.json: /);
        assert.match(err.message, /odd-vf2\.json: not a VF snapshot/);
        assert.match(err.message, /fix: repair the file, or remove it/);
        return true;
      });
      assert.ok(!readdirSync(sub).some((f) => f.endsWith('.tmp')), 'the temp file is swept');
      rmSync(join(sub, 'torn-vf1.json'));
      rmSync(join(sub, 'odd-vf2.json'));
      await b.load();
      assert.deepEqual(b.get('0000:01:00.0', 3), snap);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
