import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CORPUS, nicvisor } from './run.js';

const out = mkdtempSync(join(tmpdir(), 'nicvisor-import-'));
after(() => rmSync(out, { recursive: true, force: true }));
const VFD = join(CORPUS, 'vfd');

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

describe('nicvisor import-vfd', () => {
  it('converts a VFd main config and VF files, noting what cannot carry over', () => {
    const dest = join(out, 'ok');
    const r = nicvisor('import-vfd', join(VFD, 'vfd.cfg'), join(VFD, 'config'), dest);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      `wrote ${join(dest, 'nicvisor.json')} (2 PF(s)) and 3 VF policies in ${join(dest, 'vfs')}; 12 note(s) on stderr\n`,
    );
    assert.deepEqual(readdirSync(join(dest, 'vfs')).sort(), [
      'VM_web-3f2a-uuid.json',
      'db.json',
      'flat.json',
    ]);
    assert.deepEqual(readJson(join(dest, 'nicvisor.json')), {
      driver: 'linux',
      pfs: [
        {
          pf: '0000:3b:00.0',
          mtu: 9000,
          loopback: true,
          flowControl: 'none',
          oversubscribe: false,
          numVfs: 2,
        },
        {
          pf: '0000:3b:00.1',
          mtu: 9000,
          loopback: true,
          flowControl: 'none',
          oversubscribe: false,
          numVfs: 1,
        },
      ],
    });
    assert.deepEqual(readJson(join(dest, 'vfs', 'VM_web-3f2a-uuid.json')), {
      name: 'VM_web-3f2a-uuid',
      pf: '0000:3b:00.0',
      vf: 0,
      vlans: [100],
      untagged: false,
      stripOuterTag: true,
      macs: ['fa:16:3e:00:00:01'],
      macAntiSpoof: true,
      vlanAntiSpoof: true,
      allowBroadcast: true,
      allowMulticast: true,
      allowUnknownUnicast: false,
      linkState: 'auto',
      maxTxRate: 1000,
      onStart: ['/usr/local/bin/hot_plug', 'web'],
    });
    const db = readJson(join(dest, 'vfs', 'db.json')) as Record<string, unknown>;
    assert.deepEqual(
      [db.macs, db.linkState, db.minTxRate, db.maxTxRate],
      [['fa:16:3e:00:00:02'], 'enable', 100, 500],
    );
    const flat = readJson(join(dest, 'vfs', 'flat.json')) as Record<string, unknown>;
    assert.deepEqual([flat.untagged, flat.vlans, flat.linkState], [true, [], 'disable']);

    const notes = r.stderr.trim().split('\n');
    assert.equal(notes.length, 12);
    const has = (re: RegExp) =>
      assert.ok(
        notes.some((n) => re.test(n)),
        `no note matching ${re}`,
      );
    has(
      /web\.json: stop_cb: "\/usr\/local\/bin\/unplug web; logger unplugged" not carried over: it uses shell syntax \(";"\)/,
    );
    has(/db\.json: macs: ff:ff:ff:ff:ff:ff: not a unicast MAC/);
    has(/db\.json: insert_stag: unknown to the importer; not carried over/);
    has(/web\.json: queues: not carried over: enable_qos is off/);
    has(/vfd\.cfg: pciids\[0\]\.tclasses: not carried over: enable_qos is off/);
    has(/web\.json: name: "VM_web\/3f2a-uuid" becomes "VM_web-3f2a-uuid"/);
    has(/vfd\.cfg: log_dir, log_keep, .*: VFd process\/DPDK settings/);
    has(
      /vfd\.cfg: pciids\[1\]\.enable_loopback: loopback off is not carried over \(the kernel has no switch for the NIC-internal VEB\)/,
    );

    // The output is a valid nicvisor configuration.
    const v = nicvisor('validate', join(dest, 'nicvisor.json'), join(dest, 'vfs'));
    assert.equal(v.code, 0, v.stderr);
  });

  it('validates before writing: refuses and writes nothing when the result is invalid', () => {
    const dest = join(out, 'bad');
    const r = nicvisor('import-vfd', join(VFD, 'vfd.cfg'), join(VFD, 'bad'), dest);
    assert.equal(r.code, 1);
    assert.equal(existsSync(dest), false);
    const src = `${join(VFD, 'bad', 'trunk.json')} (as vfs/trunk.json)`;
    assert.ok(
      r.stderr.includes(
        // The linux driver's switchdev mode (offline: a driver that may have it) carries trunks.
        `${src}: vlans: vf 0 (trunk) on 0000:3b:00.0: 2 VLANs exceed the 1 driver linux offers per VF in legacy mode (allowed: at most 1 VLANs (driver linux); fix: put the PF in switchdev mode (eswitchMode: "switchdev" in the PF policy of 0000:3b:00.0), or list at most 1 VLANs)`,
      ),
      r.stderr,
    );
    assert.match(
      r.stderr,
      /allowUnknownUnicast: .*driver linux cannot enforce allowUnknownUnicast = true/,
    );
    assert.match(r.stderr, /stripOuterTag: .*driver linux cannot enforce stripOuterTag = false/);
    assert.match(r.stderr, /3 problem\(s\) in the converted configuration; nothing written/);
  });

  it('exits non-zero with the file name when a VFd file cannot be parsed', () => {
    const r = nicvisor(
      'import-vfd',
      join(VFD, 'config', 'README.txt'),
      join(VFD, 'config'),
      join(out, 'x'),
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^nicvisor: .*README\.txt: cannot parse: /);
  });
});
