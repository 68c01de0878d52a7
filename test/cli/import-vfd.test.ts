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
  it('converts what VFd accepted, noting what cannot carry over; the result validates', () => {
    const dest = join(out, 'ok');
    const r = nicvisor(
      'import-vfd',
      join(VFD, 'vfd.cfg'),
      join(VFD, 'config'),
      dest,
      '--link-speed',
      '25000',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      `wrote ${join(dest, 'nicvisor.json')} (2 PF(s)) and 3 VF policies in ${join(dest, 'vfs')}; 13 note(s) on stderr\n`,
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
        // A plain string in pciids: default_mtu; loopback off cannot be carried to linux.
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
      onStop: ['/usr/local/bin/unplug', 'web'],
    });
    const db = readJson(join(dest, 'vfs', 'db.json')) as Record<string, unknown>;
    assert.deepEqual(
      [db.macs, db.linkState, db.minTxRate, db.maxTxRate],
      [['fa:16:3e:00:00:02'], 'enable', 100, 500],
    );
    const flat = readJson(join(dest, 'vfs', 'flat.json')) as Record<string, unknown>;
    assert.deepEqual([flat.vlans, flat.macs, flat.linkState], [[300], [], 'disable']);

    const notes = r.stderr.trim().split('\n');
    assert.equal(notes.length, 13);
    const has = (re: RegExp) =>
      assert.ok(
        notes.some((n) => re.test(n)),
        `no note matching ${re}`,
      );
    has(
      /hooked\.json: \(file\): VFd refused this file \("stop_cb command contains invalid character: ;"\), so it never ran under VFd; not imported/,
    );
    has(/db\.json: insert_stag: unknown to the importer; not carried over/);
    has(/web\.json: queues: not carried over: enable_qos is off/);
    has(/vfd\.cfg: pciids\[0\]\.tclasses: not carried over: enable_qos is off/);
    has(/vfd\.cfg: pciids\[1\]\.promiscuous: a promiscuous PF has no nicvisor equivalent/);
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
    const r = nicvisor('import-vfd', join(VFD, 'vfd.cfg'), join(VFD, 'switchdev'), dest);
    assert.equal(r.code, 1);
    assert.equal(existsSync(dest), false);
    const src = `${join(VFD, 'switchdev', 'trunk.json')} (as vfs/trunk.json)`;
    assert.ok(
      r.stderr.includes(
        // The linux driver's switchdev mode (offline: a driver that may have it) carries trunks.
        `${src}: vlans: vf 2 (trunk) on 0000:3b:00.0: 2 VLANs exceed the 1 driver linux offers per VF in legacy mode (allowed: at most 1 VLANs (driver linux); fix: put the PF in switchdev mode (eswitchMode: "switchdev" in the PF policy of 0000:3b:00.0), or list at most 1 VLANs)`,
      ),
      r.stderr,
    );
    assert.match(
      r.stderr,
      /allowUnknownUnicast: .*driver linux cannot enforce allowUnknownUnicast = true/,
    );
    assert.match(
      r.stderr,
      /problem\(s\) in the converted configuration; nothing written. See them all with --review DIR/,
    );
  });

  it('--review writes the converted files and the full report, installs nothing; onto switchdev PFs the result validates', () => {
    const dest = join(out, 'review');
    const r = nicvisor(
      'import-vfd',
      join(VFD, 'vfd.cfg'),
      join(VFD, 'switchdev'),
      '--review',
      dest,
      '--eswitch',
      'switchdev',
    );
    // Onto switchdev PFs the linux driver carries trunks, MAC lists and mirrors (issue 11).
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^review in .*: 2 VF policies, 0 problem\(s\), \d+ note\(s\); read .*report\.txt\n$/,
    );
    const v = nicvisor('validate', join(dest, 'nicvisor.json'), join(dest, 'vfs'));
    assert.equal(v.code, 0, v.stderr);
    assert.deepEqual(readdirSync(dest).sort(), [
      'nicvisor.json',
      'report.json',
      'report.txt',
      'vfs',
    ]);
    const main = readJson(join(dest, 'nicvisor.json')) as { pfs: { eswitchMode?: string }[] };
    assert.deepEqual(
      main.pfs.map((p) => p.eswitchMode),
      ['switchdev', 'switchdev'],
    );
    const report = readJson(join(dest, 'report.json')) as {
      problems: unknown[];
      notes: unknown[];
      files: string[];
    };
    assert.equal(report.files.length, 3);
    const text = readFileSync(join(dest, 'report.txt'), 'utf8');
    assert.match(text, new RegExp(`Problems \\(${report.problems.length}\\)`));
    assert.match(text, new RegExp(`Notes \\(${report.notes.length}\\)`));
  });

  it('--driver sim: trunks, MAC lists and mirrors carry over and validate', () => {
    const dest = join(out, 'sim');
    const r = nicvisor(
      'import-vfd',
      join(VFD, 'vfd.cfg'),
      join(VFD, 'switchdev'),
      dest,
      '--driver',
      'sim',
      '--json',
    );
    assert.equal(r.code, 0, r.stdout);
    assert.equal((JSON.parse(r.stdout) as { ok: boolean }).ok, true);
    const trunk = readJson(join(dest, 'vfs', 'trunk.json')) as Record<string, unknown>;
    assert.deepEqual(
      [trunk.pf, trunk.vlans, trunk.macs, trunk.mirror],
      [
        'sim:vfd/0',
        [10, 20],
        ['fa:16:3e:00:00:09', 'fa:16:3e:00:00:0a'],
        { target: 'tap', direction: 'in' },
      ],
    );
    const v = nicvisor('validate', join(dest, 'nicvisor.json'), join(dest, 'vfs'));
    assert.equal(v.code, 0, v.stderr);
  });

  it('exits 2 without OUT_DIR or --review; 1 with the file name when a VFd file cannot be parsed', () => {
    const none = nicvisor('import-vfd', join(VFD, 'vfd.cfg'), join(VFD, 'config'));
    assert.equal(none.code, 2);
    assert.match(none.stderr, /needs OUT_DIR, or --review DIR/);
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
